"""Prometheus metrics, all named `leadbridge_*`, defined once for every layer.

Counters and histograms are updated where things happen; gauges of stored state (outbox depth,
ages, lag) are computed from the database when /metrics is scraped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from leadbridge.domain.contract_drift import DriftKind

WEBHOOKS = Counter(
    "leadbridge_webhooks_total", "Webhook requests by sender and result", ["source", "result"]
)
API_REQUESTS = Counter(
    "leadbridge_api_requests_total",
    "Requests to the partners' APIs by API, method and HTTP status",
    ["api", "method", "status"],
)
LIMITER_WAIT = Histogram(
    "leadbridge_limiter_wait_seconds",
    "Time a request waited for its rate limiter before it could be sent",
    ["limiter"],
    buckets=(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
OUTBOX_DEPTH = Gauge("leadbridge_outbox_items", "Outbox items by state", ["state"])
OLDEST_PENDING = Gauge(
    "leadbridge_outbox_oldest_pending_seconds", "Age of the oldest status not yet sent"
)
LEADS = Gauge("leadbridge_leads", "Leads by deal state", ["deal_state"])
INBOX_BACKLOG = Gauge("leadbridge_inbox_backlog", "Received events not yet processed")
WEBHOOK_LAG = Gauge(
    "leadbridge_webhook_lag_seconds",
    "Age of the oldest received event not yet processed, by sender (0 when none waits)",
    ["source"],
)
DRIFT = Gauge(
    "leadbridge_drift_items",
    "Differences found between leadbridge, amoCRM and Avito, by kind (set by reconciliation)",
    ["kind"],
)


QUARANTINED = Counter(
    "leadbridge_events_quarantined_total",
    "Received events set aside for a person because they can never be processed, by sender",
    ["source"],
)
QUARANTINED_NOW = Gauge(
    "leadbridge_quarantined_events",
    "Received events in quarantine now, by sender (set from the database when scraped)",
    ["source"],
)
AVITO_CONTRACT_DRIFT = Counter(
    "leadbridge_avito_contract_drift_total",
    "Sightings of something Avito sent or answered that our mapping does not know, by kind",
    ["kind"],
)
# Every kind is shown from the start, at 0: an alert on its increase then sees the first one.
for _kind in DriftKind:
    AVITO_CONTRACT_DRIFT.labels(kind=_kind)
ALERTS_OPEN = Gauge(
    "leadbridge_alert_incidents_open",
    "1 while the alert rule has an open incident (set from the database when scraped)",
    ["rule"],
)
ALERT_CHANNEL_FAILING = Gauge(
    "leadbridge_alert_channel_failing",
    "1 while the latest delivery through the alert channel failed (set when scraped)",
    ["channel"],
)
AVITO_QUARANTINED = Gauge(
    "leadbridge_avito_quarantined",
    "Avito events in quarantine not yet replayed (set from the database when scraped)",
)


class LoopMetrics(Collector):
    """The supervised loops of every live process, as the database last had them: restarts
    summed per loop, and the age of each loop's oldest last pass (the one a stall shows in).

    Read from the database when /metrics is scraped, because the loops may run in other
    processes (`leadbridge worker`) that serve no HTTP."""

    def __init__(self) -> None:
        self.restarts: dict[str, int] = {}
        self.last_pass_s: dict[str, float] = {}

    def collect(self) -> Iterator[Metric]:
        restarts = CounterMetricFamily(
            "leadbridge_loop_restarts",
            "Times a supervised loop was restarted after a failure (live processes)",
            labels=["loop"],
        )
        for loop, count in sorted(self.restarts.items()):
            restarts.add_metric([loop], count)
        age = GaugeMetricFamily(
            "leadbridge_loop_last_pass_seconds",
            "Seconds since a supervised loop last completed a pass (the oldest of its processes)",
            labels=["loop"],
        )
        for loop, seconds in sorted(self.last_pass_s.items()):
            age.add_metric([loop], seconds)
        yield restarts
        yield age


LOOPS = LoopMetrics()
REGISTRY.register(LOOPS)

_ID_SEGMENT = re.compile(r"/[^/]*\d[^/]*")


def endpoint(method: str, path: str) -> str:
    """`GET /api/v4/leads/123` → `GET /api/v4/leads/{id}`: one series per endpoint, not per id."""
    return f"{method} {_ID_SEGMENT.sub('/{id}', path)}"


def instrument(http: httpx.AsyncClient, api: str) -> httpx.AsyncClient:
    """Count every answer `http` receives under `api`."""

    if any(getattr(hook, "counts_for", None) for hook in http.event_hooks["response"]):
        return http  # a client shared by several API objects is counted once

    async def count(response: httpx.Response) -> None:
        request = response.request
        method = endpoint(request.method, request.url.path)
        API_REQUESTS.labels(api=api, method=method, status=str(response.status_code)).inc()

    count.counts_for = api  # type: ignore[attr-defined]
    http.event_hooks["response"] = [*http.event_hooks["response"], count]
    return http


def answers_of(api: str) -> tuple[int, int]:
    """Answers this process has received from `api` since it started: all of them, and those
    that were 5xx or 429 (what the alert on a failing partner watches)."""
    total = errors = 0
    for metric in API_REQUESTS.collect():
        for sample in metric.samples:
            if not sample.name.endswith("_total") or sample.labels.get("api") != api:
                continue
            count = int(sample.value)
            total += count
            status = sample.labels.get("status", "")
            if status == "429" or status.startswith("5"):
                errors += count
    return total, errors
