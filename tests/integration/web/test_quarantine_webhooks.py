"""The Avito side of the poison-event attack over real HTTP, on both databases, and the
dashboard's «Карантин» page that shows what was set aside.

As it was seen: a lead with a `buyoutPrice` of 10^30 got a 500 on each of its ten deliveries
and was lost. Now each delivery gets a 422 naming the field and the value, and the raw event is
kept once in quarantine, where a person sees it.
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from tests.dashboard_login import add_user, login
from tests.dashboard_site import cells

from leadbridge.config import AvitoSettings, Settings, WebSettings
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store import inbox
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import InboxEvent, Lead
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
TOKEN = "hook-token"
SECRET = "avito-secret"
USERS = {"olga": "operator", "fedor": "finance", "ada": "admin"}
HUGE = 10**30


@dataclass
class Site:
    url: str
    db: Database

    def avito(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers={"X-Avito-Webhook-Secret": SECRET})

    @contextlib.asynccontextmanager
    async def logged_in(self, name: str) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(base_url=self.url) as http:
            await login(http, name, f"{name}-password")
            yield http

    async def leads(self) -> int:
        async with self.db.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(Lead)) or 0)

    async def quarantined(self) -> list[InboxEvent]:
        async with self.db.transaction() as session:
            _, events = await inbox.quarantined(session, limit=50)
        return list(events)


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    upgrade(database_url)
    settings = Settings(
        database_url=database_url,
        web=WebSettings(webhook_token=TOKEN),  # type: ignore[arg-type]
        avito=AvitoSettings(webhook_secret=SECRET),  # type: ignore[arg-type]
    )
    db = Database(database_url)
    for name, role in USERS.items():
        await add_user(db, name, role, password=f"{name}-password")
    app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
    try:
        async with serve(app) as url:
            yield Site(url, db)
    finally:
        await db.dispose()


def _envelope(lead: dict[str, Any]) -> bytes:
    body = {"id": "e-1", "version": 1, "payload": {"type": "lead.created", "lead": lead}}
    return json.dumps(body, ensure_ascii=False).encode()


def _counted() -> float:
    labels = {"source": "avito"}
    return REGISTRY.get_sample_value("leadbridge_events_quarantined_total", labels) or 0.0


async def test_a_price_of_ten_to_the_thirtieth_is_acknowledged_quarantined_and_kept_once(
    site: Site,
) -> None:
    lead = {**LeadFactory(seed=21).make(), "buyoutPrice": HUGE}
    raw = _envelope(lead)
    counted = _counted()

    async with site.avito() as http:
        answers = [await http.post(f"/webhooks/avito/{TOKEN}", content=raw) for _ in range(10)]

    # Acknowledged once kept (Avito stops redelivering), every time with the reason.
    assert {answer.status_code for answer in answers} == {200}
    assert {answer.json()["result"] for answer in answers} == {"quarantined"}
    detail = answers[0].json()["reason"]
    assert "'buyoutPrice'" in detail
    assert str(HUGE) in detail
    assert await site.leads() == 0
    (kept,) = await site.quarantined()  # ten deliveries of one body: kept once
    assert (kept.source, kept.channel) == ("avito", "webhook")
    assert kept.body.encode() == raw
    assert kept.error == detail
    assert kept.processed_at is not None  # out of the backlog: it waits for no flow
    assert _counted() == counted + 1


async def test_the_corrected_lead_is_not_taken_for_a_duplicate_of_the_poisoned_one(
    site: Site,
) -> None:
    lead = LeadFactory(seed=22).make()
    async with site.avito() as http:
        refused = await http.post(
            f"/webhooks/avito/{TOKEN}", content=_envelope({**lead, "buyoutPrice": HUGE})
        )
        accepted = await http.post(f"/webhooks/avito/{TOKEN}", content=_envelope(lead))

    assert refused.json()["result"] == "quarantined"
    assert accepted.json()["result"] == "new"
    assert await site.leads() == 1


async def test_the_quarantine_page_shows_source_time_reason_and_the_start_of_the_body(
    site: Site,
) -> None:
    lead = {"note": "<script>x</script>", **LeadFactory(seed=23).make(), "buyoutPrice": HUGE}
    lead["pad"] = "я" * 2000  # a long body is shown cut short
    async with site.avito() as http:
        await http.post(f"/webhooks/avito/{TOKEN}", content=_envelope(lead))

    async with site.logged_in("olga") as http:
        page = await http.get("/quarantine")
    (row,) = [[html.unescape(cell) for cell in found] for found in cells(page.text, "quarantine")]

    assert page.status_code == 200
    assert 'href="/quarantine"' in page.text  # in the navigation
    assert row[1:3] == ["Авито", "вебхук"]
    assert "'buyoutPrice'" in row[6]
    assert str(HUGE) in row[6]
    assert row[7].startswith('{"id": "e-1"')
    assert "ещё" in row[7]
    assert len(row[7]) < 700
    assert "<script>x</script>" in row[7]
    assert "<script>x" not in page.text  # the body is shown as text, never as markup


@pytest.mark.parametrize(("name", "status"), [("ada", 200), ("fedor", 403)])
async def test_the_quarantine_page_is_for_operators_and_admins(
    site: Site, name: str, status: int
) -> None:
    async with site.logged_in(name) as http:
        assert (await http.get("/quarantine")).status_code == status


async def test_an_empty_quarantine_says_so(site: Site) -> None:
    async with site.logged_in("olga") as http:
        page = await http.get("/quarantine")
    assert "В карантине ничего нет" in page.text


async def test_a_replayed_event_says_when_and_by_whom(site: Site) -> None:
    lead = {**LeadFactory(seed=24).make(), "buyoutPrice": HUGE}
    async with site.avito() as http:
        await http.post(f"/webhooks/avito/{TOKEN}", content=_envelope(lead))
    (kept,) = await site.quarantined()
    async with site.db.transaction() as session:
        await inbox.mark_replayed(session, [kept.id], actor="olga", now=kept.received_at)

    async with site.logged_in("olga") as http:
        page = await http.get("/quarantine")

    assert "обработано повторно" in page.text
    assert "(olga)" in page.text
