"""Operator actions cannot break Avito's status chain: a status is sent again only if it is parked
or its lead's last sent one. The store holds the rule, so a forged post to the dashboard and the
CLI are refused like a stale button, and nothing changes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from tests.dashboard_data import Seeded, seed_dashboard
from tests.dashboard_login import add_user, login
from tests.integration.store.test_store import _request
from typer.testing import CliRunner

from leadbridge.cli import app as cli
from leadbridge.config import Settings, WebSettings
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.status_path import PlannedStatus
from leadbridge.store import leads, operator_actions, outbox, timeline
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import OutboxItem
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CHAIN = ("accepted", "contacted", "price_agreed")


async def _lead_with(db: Database, avito_id: str, *, sent: int, parked: bool = False) -> list[int]:
    """One lead with the `CHAIN` queued: the first `sent` statuses sent, in order; the next one
    parked if `parked` (Avito refused it), else left as it is. Its items' ids, in chain order."""
    async with db.transaction() as session:
        lead_id = await leads.add_if_new(session, _request(avito_id), {}, NOW)
        assert lead_id is not None
        await outbox.enqueue(
            session, lead_id=lead_id, avito_lead_id=avito_id,
            statuses=[PlannedStatus(status) for status in CHAIN], occurred_at=NOW, now=NOW,
        )  # fmt: skip
    for position in range(sent + int(parked)):
        async with db.transaction() as session:
            (head,) = await outbox.claim_heads(session, limit=10, now=NOW)
            gone = position < sent
            await outbox.finish(
                session, head.id, state=OutboxState.SENT if gone else OutboxState.PARKED,
                error=None if gone else "forbidden", sent_at=NOW if gone else None,
            )  # fmt: skip
    async with db.transaction() as session:
        return [item.id for item in await timeline.outbox_items(session, lead_id)]


async def _replay(db: Database, item_id: int) -> OutboxItem:
    async with db.transaction() as session:
        return await operator_actions.act(
            session, item_id=item_id, action="replay", actor="anna", note="why", now=NOW
        )


async def _snapshot(db: Database, item_ids: list[int]) -> list[tuple[str, str, int]]:
    async with db.transaction() as session:
        found = [await session.get(OutboxItem, item_id) for item_id in item_ids]
        return [(item.state, item.idempotency_key, item.attempts) for item in found if item]


@pytest.mark.anyio
async def test_only_the_last_sent_status_may_be_sent_again(db: Database) -> None:
    accepted, contacted, price_agreed = await _lead_with(db, "chain-1", sent=3)
    before = await _snapshot(db, [accepted, contacted, price_agreed])
    for behind in (accepted, contacted):
        with pytest.raises(operator_actions.ActionRefused, match="not the last status sent") as no:
            await _replay(db, behind)
        assert no.value.reason == operator_actions.NOT_LAST_SENT
    assert await _snapshot(db, [accepted, contacted, price_agreed]) == before
    async with db.transaction() as session:
        assert await operator_actions.history(session, accepted) == []
    replayed = await _replay(db, price_agreed)
    assert (replayed.state, replayed.idempotency_key) == (
        OutboxState.PENDING,
        "chain-1:price_agreed:replay-1",
    )


@pytest.mark.anyio
async def test_the_buttons_offered_are_the_actions_the_store_accepts(db: Database) -> None:
    first, second, third = await _lead_with(db, "chain-2", sent=1, parked=True)
    async with db.transaction() as session:
        head = await session.get(OutboxItem, first)
        assert head is not None
        items = await timeline.outbox_items(session, head.lead_id)
    last_sent = operator_actions.last_sent_id(items)
    offered = {item.id: operator_actions.offered(item, last_sent=last_sent) for item in items}
    assert last_sent == first
    assert offered == {
        first: ("replay",),
        second: ("unpark", "skip", "replay"),  # parked: the lead's head, sent again in order
        third: ("retry", "park"),
    }
    await _replay(db, second)  # a parked status may always go again


@pytest.mark.anyio
async def test_while_a_later_status_is_being_sent_no_status_may_be_sent_again(
    db: Database,
) -> None:
    accepted, contacted, _ = await _lead_with(db, "chain-3", sent=2)
    async with db.transaction() as session:
        (sending,) = await outbox.claim_heads(session, limit=10, now=NOW)
        assert sending.state == OutboxState.SENDING
        lead_items = await timeline.outbox_items(session, sending.lead_id)
    assert operator_actions.last_sent_id(lead_items) is None
    for item_id in (accepted, contacted):
        with pytest.raises(operator_actions.ActionRefused, match="not the last status sent"):
            await _replay(db, item_id)


@dataclass
class Site:
    url: str
    db: Database
    seeded: Seeded


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    upgrade(database_url)
    settings = Settings(database_url=database_url, web=WebSettings(webhook_token="t"))  # type: ignore[arg-type]
    db = Database(database_url)
    seeded = await seed_dashboard(db, settings.funnel)
    await add_user(db, "olga", "operator", password="olga-password")
    async with serve(
        create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
    ) as url:
        yield Site(url, db, seeded)
    await db.dispose()


@contextlib.asynccontextmanager
async def _olga(site: Site) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    async with httpx.AsyncClient(base_url=site.url) as http:
        yield http, {"X-CSRF-Token": await login(http, "olga", "olga-password")}


@pytest.mark.anyio
async def test_a_forged_resend_of_an_earlier_status_is_refused_in_russian(site: Site) -> None:
    earlier = site.seeded.sent_item  # the lead's first status; a later one was sent after it
    before = await _snapshot(site.db, [earlier])
    async with _olga(site) as (http, csrf):
        card = (await http.get(f"/leads/{site.seeded.lead_ids[2]}")).text
        forged = await http.post(
            f"/outbox/{earlier}/replay", data={"note": "подделка"}, headers=csrf
        )
    assert f"/outbox/{earlier}/replay" not in card
    assert forged.status_code == 409
    assert "Отправить заново можно только остановленный статус" in forged.text
    assert f'id="item-{earlier}"' in forged.text  # the row, as it still is, for htmx to swap
    assert await _snapshot(site.db, [earlier]) == before
    async with site.db.transaction() as session:
        assert await operator_actions.history(session, earlier) == []


@pytest.mark.anyio
async def test_an_action_without_a_note_is_refused_and_changes_nothing(site: Site) -> None:
    parked = site.seeded.parked_item
    before = await _snapshot(site.db, [parked])
    async with _olga(site) as (http, csrf):
        for note in ({}, {"note": "   "}):
            answer = await http.post(f"/outbox/{parked}/replay", data=note, headers=csrf)
            assert answer.status_code == 409
            assert "Напишите в комментарии для журнала" in answer.text
        done = await http.post(f"/outbox/{parked}/unpark", data={"note": "починили"}, headers=csrf)
    assert await _snapshot(site.db, [parked]) != before
    assert done.status_code == 200
    assert "в очереди" in done.text


@pytest.mark.anyio
async def test_each_action_says_what_it_will_do_and_asks_for_a_labelled_note(site: Site) -> None:
    parked, lead = site.seeded.parked_item, site.seeded.parked_lead
    async with _olga(site) as (http, _):
        listed = (await http.get("/outbox")).text
        card = (await http.get(f"/leads/{lead}")).text
    for page in (listed, card):
        assert "Статус „Связались с продавцом“ будет отправлен в Авито ещё раз." in page
        note = f"note-{parked}-replay"
        assert f'<label for="{note}">Комментарий для журнала' in page
        assert f'<input id="{note}" name="note" maxlength="500" required' in page


def test_the_cli_refuses_an_earlier_status_in_one_line(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(database_url)

    async def seeded() -> list[int]:
        db = Database(database_url)
        try:
            return await _lead_with(db, "chain-cli", sent=3)
        finally:
            await db.dispose()

    accepted, _, price_agreed = asyncio.run(seeded())
    monkeypatch.setenv("LEADBRIDGE_DATABASE_URL", database_url)
    runner = CliRunner()
    refused = runner.invoke(cli, ["outbox", "replay", str(accepted), "--note", "x"])
    done = runner.invoke(cli, ["outbox", "replay", str(price_agreed), "--note", "x"])
    assert refused.exit_code == 2
    # (The first command against a fresh database may also say it made the secrets' key.)
    errors = [line for line in refused.stderr.splitlines() if "error" in line]
    assert errors == [
        f"leadbridge: error: cannot replay item {accepted}: accepted is not the last status "
        "sent for lead chain-cli, and Avito refuses a status behind its current one"
    ]
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == f"item {price_agreed} (chain-cli price_agreed) is now pending"
