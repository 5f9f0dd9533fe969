"""The metrics the web layer updates; all are defined in `leadbridge.metrics`."""

from __future__ import annotations

from leadbridge.metrics import (
    AVITO_QUARANTINED,
    DRIFT,
    INBOX_BACKLOG,
    LEADS,
    LOOPS,
    OLDEST_PENDING,
    OUTBOX_DEPTH,
    QUARANTINED_NOW,
    WEBHOOK_LAG,
    WEBHOOKS,
)

__all__ = [
    "AVITO_QUARANTINED",
    "DRIFT",
    "INBOX_BACKLOG",
    "LEADS",
    "LOOPS",
    "OLDEST_PENDING",
    "OUTBOX_DEPTH",
    "QUARANTINED_NOW",
    "WEBHOOKS",
    "WEBHOOK_LAG",
]
