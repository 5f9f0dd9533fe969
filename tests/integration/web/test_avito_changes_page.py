"""«Изменения API Авито» over real HTTP on both databases: the drift noted by the sync layer, the
Avito events waiting in quarantine on the page, the overview and `/metrics`."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from tests.dashboard_site import Site, cells, served_site

from leadbridge.config import Settings
from leadbridge.domain.contract_drift import DriftKind
from leadbridge.store import inbox
from leadbridge.store.drift_notes import note_drift, note_drifts
from leadbridge.store.tables import InboxEvent

pytestmark = pytest.mark.anyio
PHONE = "+79161234567"


async def _quarantine_avito_events(site: Site, held: int, replayed: int) -> None:
    now = datetime.now(UTC)
    async with site.db.transaction() as session:
        for number in range(held + replayed):
            event_id = await inbox.add_if_new(
                session,
                source="avito",
                event_key=f"drift-{number}",
                channel="webhook",
                body="{}",
                now=now,
                quarantine_reason="unknown field lead.sellerPhone2",
            )
            if number >= held:
                await session.execute(
                    update(InboxEvent).where(InboxEvent.id == event_id).values(replayed_at=now)
                )


def _metric(text: str, name: str) -> float:
    (value,) = re.findall(rf"^{name} (\S+)$", text, re.M)
    return float(value)


async def test_the_page_lists_the_drift_seen_and_the_events_held(database_url: str) -> None:
    async with served_site(Settings(database_url=database_url)) as site:
        for _ in range(3):
            await note_drift(
                site.db,
                DriftKind.UNKNOWN_FIELD,
                "lead.sellerPhone2",
                {"sellerPhone2": PHONE, "price": 35000},
            )
        await note_drifts(
            site.db,
            [
                (DriftKind.ENDPOINT_GONE, "GET /buyout/v1/leads", {"status": 410}),
                (DriftKind.QUARANTINED, "webhook: lead.price", "Иван Петров"),
            ],
        )
        await _quarantine_avito_events(site, held=2, replayed=1)
        async with site.logged_in("olga") as (http, _):
            page = await http.get("/avito-changes")
            overview = (await http.get("/")).text
            metrics = (await http.get("/metrics")).text

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'href="/avito-changes"' in page.text  # in the navigation
    assert "Изменения API Авито" in text
    assert "leadbridge avito check FILE.json" in text
    assert "leadbridge avito quarantine replay --all" in text
    assert "avito.mapping_file" in text
    held = re.search(r'<p id="quarantined">.*?</p>', page.text, re.S)
    assert held
    assert '<b class="warn">2</b>' in held.group(0)
    assert 'href="/quarantine"' in held.group(0)

    rows = {row[1]: row for row in cells(text, "avito-changes")}
    kind, _name, first, last, seen, sample = rows["lead.sellerPhone2"]
    assert (kind, seen) == ("Неизвестное поле", "3")
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", first)  # as every page shows times
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", last)
    assert sample == '{"sellerPhone2": "+•••••••••67", "price": 35000}'
    assert rows["GET /buyout/v1/leads"][0] == "Адрес API больше не работает"
    assert rows["webhook: lead.price"][0] == "Событие в карантине"
    assert PHONE not in text
    assert "Иван" not in text

    card = re.search(r'<div class="card" id="avito-quarantined">.*?</div>', overview, re.S)
    assert card
    assert "События Авито в карантине" in card.group(0)
    assert '<b class="warn">2</b>' in card.group(0)
    assert 'href="/avito-changes"' in card.group(0)
    assert _metric(metrics, "leadbridge_avito_quarantined") == 2
    assert _metric(metrics, 'leadbridge_avito_contract_drift_total{kind="endpoint_gone"}') >= 1


async def test_nothing_seen_says_so(database_url: str) -> None:
    async with (
        served_site(Settings(database_url=database_url)) as site,
        site.logged_in("olga") as (http, _),
    ):
        page = (await http.get("/avito-changes")).text
        overview = (await http.get("/")).text
        metrics = (await http.get("/metrics")).text

    assert cells(page, "avito-changes") == [
        ["Изменений не замечено: всё, что присылает Авито, нам известно"]
    ]
    assert re.search(r'<p id="quarantined">[^<]*<b>0</b>', page)
    card = re.search(r'<div class="card" id="avito-quarantined">.*?</div>', overview, re.S)
    assert card
    assert "<b>0</b>" in card.group(0)  # nothing held: not shown as a problem
    assert _metric(metrics, "leadbridge_avito_quarantined") == 0


async def test_the_page_is_for_operators_and_admins(database_url: str) -> None:
    async with served_site(Settings(database_url=database_url)) as site:
        async with site.logged_in("ada") as (http, _):
            assert (await http.get("/avito-changes")).status_code == 200
        async with site.logged_in("fedor") as (http, _):
            assert (await http.get("/avito-changes")).status_code == 403
            overview = (await http.get("/")).text
    # Finance sees the count on the overview, with no link to a page it may not open.
    assert 'id="avito-quarantined"' in overview
    assert 'href="/avito-changes"' not in overview
