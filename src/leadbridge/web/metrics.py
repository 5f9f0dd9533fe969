"""Prometheus metrics, all named `leadbridge_*`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

WEBHOOKS = Counter(
    "leadbridge_webhooks_total", "Webhook requests by sender and result", ["source", "result"]
)
OUTBOX_DEPTH = Gauge("leadbridge_outbox_items", "Outbox items by state", ["state"])
OLDEST_PENDING = Gauge(
    "leadbridge_outbox_oldest_pending_seconds", "Age of the oldest status not yet sent"
)
LEADS = Gauge("leadbridge_leads", "Leads by deal state", ["deal_state"])
INBOX_BACKLOG = Gauge("leadbridge_inbox_backlog", "Received events not yet processed")
