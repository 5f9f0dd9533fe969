"""Dashboard pages over real HTTP on both databases, with data written by intake and the store."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from tests.dashboard_data import Seeded, seed_dashboard
from tests.dashboard_login import add_user, login

from leadbridge.config import AmoCrmSettings, Settings, WebSettings
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store import operator_actions, timeline
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import OutboxItem
from leadbridge.sync.bridge import Bridge
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.pages.live import BridgeStatus
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio


@dataclass
class Site:
    url: str
    db: Database
    seeded: Seeded

    @contextlib.asynccontextmanager
    async def logged_in(self, name: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
        """A client with `name`'s session, and its CSRF token."""
        async with httpx.AsyncClient(base_url=self.url) as http:
            yield http, await login(http, name, f"{name}-password")


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    upgrade(database_url)
    settings = Settings(database_url=database_url, web=WebSettings(webhook_token="t"))  # type: ignore[arg-type]
    db = Database(database_url)
    seeded = await seed_dashboard(db, settings.funnel)
    await add_user(db, "olga", "operator", password="olga-password")
    await add_user(db, "fedor", "finance", password="fedor-password")
    async with serve(
        create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
    ) as url:
        yield Site(url, db, seeded)
    await db.dispose()


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert table, f"no table {table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    return [[_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def _text(cell: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()


async def test_overview_shows_the_funnel_reach_and_this_weeks_numbers(site: Site) -> None:
    async with site.logged_in("olga") as (http, _):
        page = (await http.get("/")).text
    funnel = {row[0]: row[1:4] for row in _cells(page, "funnel") if row}
    # 22 deals walk new/contacted/negotiation/price_agreed/pickup_scheduled/bought_out in turn.
    assert funnel["Новая заявка Авито"] == ["4", "22", "81,8 %"]
    assert funnel["Выкуплено, оплачено продавцу"] == ["3", "3", "0,0 %"]
    assert funnel["Цена согласована"][1:] == ["10", "60,0 %"]
    assert re.search(r'id="kpi-requests">24<', page)
    assert re.search(r'id="kpi-bought">3<', page)
    assert "Статусы в очереди в Авито<b>1</b>" in page  # the parked one is not pending
    assert 'На повторе<b class="warn">1</b>' in page
    assert 'Остановлено<b class="warn">1</b>' in page


async def test_leads_are_found_by_avito_id_deal_id_phone_and_model(site: Site) -> None:
    seeded = site.seeded
    async with site.logged_in("olga") as (http, _):
        by_avito = await http.get("/leads", params={"q": seeded.avito_ids[5]})
        by_deal = await http.get("/leads", params={"q": "31000005"})
        local_phone = "8" + seeded.phones[5][2:]  # +7916… written as 8916…
        by_phone = await http.get("/leads", params={"q": local_phone})
        by_model = await http.get("/leads", params={"q": "iphone", "stage": "bought_out"})
    for answer in (by_avito, by_deal, by_phone):
        rows = _cells(answer.text, "leads")
        assert [row[0] for row in rows if row] == [seeded.avito_ids[5]], answer.url
    model_rows = [row for row in _cells(by_model.text, "leads") if row]
    assert model_rows
    assert all(
        "iPhone" in row[2] and row[5] == "Выкуплено, оплачено продавцу" for row in model_rows
    )


async def test_filters_and_paging(site: Site) -> None:
    async with site.logged_in("olga") as (http, _):
        parked = await http.get("/leads", params={"outbox": "parked"})
        retrying = await http.get("/leads", params={"outbox": "retrying"})
        last = await http.get("/leads", params={"page": 3, "per_page": 10})
        as_htmx = {"HX-Request": "true", "HX-Target": "results"}  # what the search form sends
        partial = await http.get("/leads", params={"q": "nothing-like-it"}, headers=as_htmx)
    assert [row[0] for row in _cells(parked.text, "leads") if row] == [site.seeded.avito_ids[0]]
    assert [row[0] for row in _cells(retrying.text, "leads") if row] == [site.seeded.avito_ids[1]]
    assert "страница 3 из 3" in last.text  # newest first: the four oldest are on the last page
    assert [row[0] for row in _cells(last.text, "leads") if row] == site.seeded.avito_ids[3::-1]
    assert "<html" not in partial.text
    assert "Ничего не найдено" in partial.text


async def test_finance_sees_the_lead_masked_and_cannot_search_by_phone(site: Site) -> None:
    seeded = site.seeded
    async with site.logged_in("fedor") as (http, _):
        card = (await http.get(f"/leads/{seeded.lead_ids[5]}")).text
        by_phone = await http.get("/leads", params={"q": seeded.phones[5]})
        outbox_page = await http.get("/outbox")
    assert seeded.phones[5] not in card
    assert "hx-post" not in card  # finance may look, not act
    assert f"***-**-{seeded.phones[5][-2:]}" in card
    assert [row for row in _cells(by_phone.text, "leads") if row] == [["Ничего не найдено"]]
    assert outbox_page.status_code == 403


async def test_a_leads_timeline_merges_intake_stage_changes_and_send_attempts(site: Site) -> None:
    async with site.logged_in("olga") as (http, _):
        page = (await http.get(f"/leads/{site.seeded.parked_lead}")).text
    kinds = [row[1] for row in _cells(page, "timeline") if row]
    assert kinds == ["Авито → заявка", "→ Авито: отправка", "→ Авито: отправка"]
    attempts = [row for row in _cells(page, "timeline") if row and row[1] == "→ Авито: отправка"]
    assert [(row[2], row[3]) for row in attempts] == [
        ("Принят в работу", "принято"),
        ("Связались с продавцом", "отказ Авито"),
    ]
    assert "переход запрещён" in attempts[1][4]
    assert "not allowed" in attempts[1][4]  # Avito's own words, folded away under the summary


async def test_replay_from_the_outbox_page_is_audited_and_queues_the_item(site: Site) -> None:
    item_id = site.seeded.parked_item
    async with site.logged_in("olga") as (http, csrf):
        listed = (await http.get("/outbox")).text
        note = {"note": "Авито починило переход"}
        without_csrf = await http.post(f"/outbox/{item_id}/replay", data=note)
        replayed = await http.post(
            f"/outbox/{item_id}/replay", data=note, headers={"X-CSRF-Token": csrf}
        )
        again = await http.post(
            f"/outbox/{item_id}/replay", data=note, headers={"X-CSRF-Token": csrf}
        )
        after = (await http.get("/outbox")).text
    assert f'hx-post="/outbox/{item_id}/replay"' in listed
    assert without_csrf.status_code == 403
    assert replayed.status_code == 200
    assert "в очереди" in replayed.text
    assert again.status_code == 409
    assert "Это действие уже не подходит" in again.text
    audit = _cells(after, "audit")
    assert audit[1][1:3] == ["olga", "Отправить заново"]
    async with site.db.transaction() as session:
        item = await session.get(OutboxItem, item_id)
        (action,) = await operator_actions.history(session, item_id)
    assert item is not None
    assert (item.state, item.attempts) == (OutboxState.PENDING, 0)
    assert (action.actor, action.action, action.state_before) == ("olga", "replay", "parked")


async def test_the_last_sent_status_can_be_replayed_from_its_leads_page(site: Site) -> None:
    seeded = site.seeded
    async with site.db.transaction() as session:
        items = await timeline.outbox_items(session, seeded.lead_ids[2])
    last_sent = operator_actions.last_sent_id(items)
    assert last_sent is not None
    assert last_sent != seeded.sent_item  # the lead's first status: behind Avito's current one
    async with site.logged_in("olga") as (http, csrf):
        card = (await http.get(f"/leads/{seeded.lead_ids[2]}")).text
        answer = await http.post(
            f"/outbox/{last_sent}/replay", data={"note": "проверка"}, headers={"X-CSRF-Token": csrf}
        )
        after = (await http.get(f"/leads/{seeded.lead_ids[2]}")).text
    assert f'hx-post="/outbox/{last_sent}/replay"' in card
    assert f'hx-post="/outbox/{seeded.sent_item}/replay"' not in card
    assert answer.status_code == 200
    states = {row[0]: row[3] for row in _cells(after, "outbox") if row}
    assert states[str(last_sent)] == "в очереди"
    operator_rows = [row for row in _cells(after, "timeline") if row and row[1] == "Оператор"]
    assert [(row[2], row[4]) for row in operator_rows] == [("Отправить заново", "olga: проверка")]


async def test_the_funnel_page_lists_stages_chain_and_loss_reasons(site: Site) -> None:
    async with site.logged_in("fedor") as (http, _):
        page = (await http.get("/funnel")).text
    stages = {row[0]: row for row in _cells(page, "stages") if row}
    assert stages["Успешно реализовано"][1] == "142"
    assert stages["Закрыто и не реализовано"][1] == "143"
    assert stages["Взята в работу"][2] == "Принят в работу"
    assert "Выкуплен (как у предыдущего)" in stages["В магазине, реклама"][2]
    assert 'title="ключ в файле воронки: listed"' in page  # the key, for whoever edits the file
    assert "Принят в работу → Связались с продавцом → Цена согласована" in page
    reasons = {row[0]: row[2] for row in _cells(page, "reasons") if row}
    assert reasons["Возврат продавцу после выкупа"] == "Возврат продавцу"


async def test_htmx_is_served_from_the_package(site: Site) -> None:
    async with site.logged_in("olga") as (http, _):
        script = await http.get("/static/htmx.min.js")
        other = await http.get("/static/..%2Fapp.py")
    assert script.status_code == 200
    assert script.text.startswith("var htmx=")
    assert other.status_code == 404


async def test_overview_shows_amocrms_block_and_limiters_of_the_bridge_in_process(
    database_url: str,
) -> None:
    upgrade(database_url)
    settings = Settings(
        database_url=database_url,
        web=WebSettings(webhook_token="t"),  # type: ignore[arg-type]
        amocrm=AmoCrmSettings(base_url="http://127.0.0.1:9", long_lived_token="x"),  # type: ignore[arg-type]
    )
    bridge = Bridge.from_settings(settings)
    await add_user(bridge.db, "olga", "operator", password="olga-password")
    app = create_app(WebContext(settings=settings, db=bridge.db, wakeups=bridge.wakeups))
    app.state.live_status = BridgeStatus(bridge)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        await login(http, "olga", "olga-password")
        before = (await http.get("/")).text
        bridge.amo.client.block.refused()  # what a 403 HTML answer from amoCRM does
        during = (await http.get("/")).text
    await bridge.stop()  # never started: closes its clients and the database
    assert "работает" in before
    assert "403: заблокирован" in during
    assert re.search(r"Лимит amoCRM<b>0 / 7</b>", during)
