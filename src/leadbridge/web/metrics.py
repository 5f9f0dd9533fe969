"""The metrics the web layer updates; all are defined in `leadbridge.metrics`."""

from __future__ import annotations

from leadbridge.metrics import (
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
