"""/readyz, /metrics and correlation ids over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import update
from tests.integration.relay.lead_rig import queue

from leadbridge.config import Settings
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.metrics import instrument
from leadbridge.ratelimit import SlidingWindowLimiter
from leadbridge.security.crypto import new_key
from leadbridge.store import inbox, sealed, tokens
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import OutboxItem
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio


@dataclass
class Served:
    http: httpx.AsyncClient
    db: Database


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Served]:
    upgrade(database_url)
    db = Database(database_url)
    app = create_app(
        WebContext(settings=Settings(database_url=database_url), db=db, wakeups=LocalWakeups())
    )
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        yield Served(http, db)
    await db.dispose()


async def _token(db: Database, *, expires_in: timedelta, refresh: str | None) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as session:
        await tokens.save_token(
            session,
            "amocrm",
            access_token="a",
            refresh_token=refresh,
            expires_at=now + expires_in,
            now=now,
        )


async def test_not_ready_without_an_amocrm_token(served: Served) -> None:
    answer = await served.http.get("/readyz")
    assert answer.status_code == 503
    assert "no amoCRM token" in answer.json()["reasons"][0]


@pytest.mark.parametrize(
    ("expires_in", "refresh", "status"),
    [
        (timedelta(hours=1), None, 200),
        (timedelta(hours=-1), "refresh", 200),  # renewed on the next call
        (timedelta(hours=-1), None, 503),
    ],
)
async def test_ready_while_the_token_is_valid_or_renewable(
    served: Served, expires_in: timedelta, refresh: str | None, status: int
) -> None:
    await _token(served.db, expires_in=expires_in, refresh=refresh)
    assert (await served.http.get("/readyz")).status_code == status


async def test_not_ready_when_the_token_key_is_missing(served: Served) -> None:
    sealed.use_keys(new_key())
    try:
        await _token(served.db, expires_in=timedelta(hours=1), refresh="r")
        sealed.use_keys(new_key())  # the key it was sealed with is gone
        answer = await served.http.get("/readyz")
    finally:
        sealed.use_keys("")
    assert answer.status_code == 503
    assert "token_keys" in answer.json()["reasons"][0]


async def test_not_ready_without_a_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'no.db'}"
    db = Database(url)
    app = create_app(WebContext(settings=Settings(database_url=url), db=db, wakeups=LocalWakeups()))
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as http:
        answer = await http.get("/readyz")
    await db.dispose()
    assert answer.status_code == 503
    assert "database unreachable" in answer.json()["reasons"][0]


async def test_metrics_report_webhook_lag_by_sender(served: Served) -> None:
    async with served.db.transaction() as session:
        await inbox.add_if_new(
            session,
            source="amocrm",
            event_key="k",
            channel="webhook",
            body="x",
            now=datetime.now(UTC) - timedelta(minutes=5),
        )
    text = (await served.http.get("/metrics")).text
    lag = _sample(text, 'leadbridge_webhook_lag_seconds{source="amocrm"}')
    assert lag >= 300
    assert _sample(text, 'leadbridge_webhook_lag_seconds{source="avito"}') == 0


async def test_a_state_emptied_since_the_last_scrape_reads_zero(served: Served) -> None:
    """Once the last parked status is unparked, `parked` reads 0, not its last count: an alert
    on it must be able to clear."""
    await queue(served.db, "g-1", ["accepted"])
    async with served.db.transaction() as session:
        await session.execute(update(OutboxItem).values(state=OutboxState.PARKED))
    parked = 'leadbridge_outbox_items{state="parked"}'
    assert _sample((await served.http.get("/metrics")).text, parked) == 1

    async with served.db.transaction() as session:
        await session.execute(update(OutboxItem).values(state=OutboxState.PENDING))
    text = (await served.http.get("/metrics")).text
    assert _sample(text, parked) == 0
    assert _sample(text, 'leadbridge_outbox_items{state="pending"}') == 1
    assert _sample(text, 'leadbridge_leads{deal_state="created"}') == 0


async def test_partner_requests_are_counted_by_api_endpoint_and_status(served: Served) -> None:
    labels = {"api": "test_api", "method": "GET /nowhere/{id}/x", "status": "404"}
    before = REGISTRY.get_sample_value("leadbridge_api_requests_total", labels) or 0
    client = instrument(httpx.AsyncClient(base_url=str(served.http.base_url)), "test_api")
    instrument(client, "test_api")  # a second wrapper of the same client counts nothing more
    async with client:
        await client.get("/nowhere/42/x")
    assert REGISTRY.get_sample_value("leadbridge_api_requests_total", labels) == before + 1


async def test_limiter_waits_are_observed() -> None:
    labels = {"limiter": "test_limiter"}
    before = REGISTRY.get_sample_value("leadbridge_limiter_wait_seconds_count", labels) or 0
    limiter = SlidingWindowLimiter(1, window_s=0.02, name="test_limiter")
    for _ in range(2):
        async with limiter.slot():
            pass
    assert REGISTRY.get_sample_value("leadbridge_limiter_wait_seconds_count", labels) == before + 2
    assert (REGISTRY.get_sample_value("leadbridge_limiter_wait_seconds_sum", labels) or 0) > 0


@pytest.mark.parametrize(
    ("given", "kept"), [("req-0123456789", True), ("bad id; forged=1", False), (None, False)]
)
async def test_every_answer_carries_a_correlation_id(
    served: Served, given: str | None, kept: bool
) -> None:
    headers = {"X-Request-ID": given} if given else {}
    answer = await served.http.get("/healthz", headers=headers)
    correlation_id = answer.headers["X-Request-ID"]
    assert (correlation_id == given) is kept
    assert len(correlation_id) >= 8


def _sample(metrics_text: str, name: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")
