"""Replay after Avito's breaking change: held-back requests become leads exactly once under the
fixed mapping, and statuses Avito refused for their form go back to the relay, audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update
from tests.integration.relay.lead_rig import queue

from leadbridge.avito.mapping_in_force import install_mapping
from leadbridge.avito.payload import PayloadError
from leadbridge.config import AvitoSettings
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.sandbox.api_break import MAPPING_AFTER_BREAK
from leadbridge.sandbox.avito.leads import LeadFactory
from leadbridge.store import contract_drift, inbox
from leadbridge.store.database import Database
from leadbridge.store.tables import Lead, OperatorAction, OutboxItem
from leadbridge.sync.avito_replay import BATCH, replay
from leadbridge.sync.intake import accept_lead, quarantine_avito
from leadbridge.sync.wakeups import LocalWakeups

pytestmark = pytest.mark.anyio
AFTER_BREAK = MAPPING_AFTER_BREAK


@pytest.fixture(autouse=True)
def default_mapping_again() -> Iterator[None]:
    yield
    install_mapping(AvitoSettings())


def after_the_break(seed: int) -> dict[str, Any]:
    """A lead as Avito sends it once the price moved to offer.price (rubles) and the phone to
    contacts.phone."""
    lead = LeadFactory(seed=seed).make()
    kopecks = lead.pop("buyoutPrice")
    lead["offer"] = {"price": kopecks / 100, "currency": "RUB"}
    lead["contacts"] = {"phone": lead["seller"].pop("phone")}
    return lead


def envelope(lead: dict[str, Any]) -> bytes:
    body = {"id": f"e-{lead['id']}", "payload": {"type": "lead.created", "lead": lead}}
    return json.dumps(body, ensure_ascii=False).encode()


async def hold_back(db: Database, channel: str, body: bytes) -> None:
    raw = json.loads(body)
    lead = raw["payload"]["lead"] if channel == "webhook" else raw
    with pytest.raises(PayloadError) as refused:
        await accept_lead(db, lead, channel=channel, wakeups=LocalWakeups())
    await quarantine_avito(db, channel=channel, raw=body, error=refused.value)


async def count(db: Database, model: type[Any]) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_request_held_back_both_ways_becomes_one_lead_under_the_fixed_mapping(
    db: Database,
) -> None:
    lead = after_the_break(seed=31)
    await hold_back(db, "webhook", envelope(lead))
    await hold_back(db, "feed", json.dumps(lead, ensure_ascii=False).encode())
    await quarantine_avito(
        db, channel="webhook", raw=b"\xff not json", error=PayloadError("x", "body")
    )
    async with db.transaction() as session:
        drifts = {(row.kind, row.name): row.seen for row in await contract_drift.listing(session)}
        assert drifts == {("quarantined", "lead.buyout_price"): 2, ("quarantined", "body"): 1}
        assert await contract_drift.quarantined_avito(session) == 3

    unchanged = await replay(db, LocalWakeups(), actor="olga")
    assert (unchanged.replayed, unchanged.still_quarantined) == (0, 3)

    install_mapping(AvitoSettings(mapping_file=AFTER_BREAK))
    report = await replay(db, LocalWakeups(), actor="olga")
    again = await replay(db, LocalWakeups(), actor="olga")

    assert (report.replayed, report.leads_created, report.still_quarantined) == (2, 1, 1)
    assert (again.replayed, again.leads_created, again.still_quarantined) == (0, 0, 1)
    async with db.transaction() as session:
        (stored,) = (await session.scalars(select(Lead))).all()
        (garbage,) = await inbox.held_back(session, "avito")
        assert await contract_drift.quarantined_avito(session) == 1
    assert stored.avito_lead_id == str(lead["id"])
    assert stored.buyout_price_kopecks == round(lead["offer"]["price"] * 100)
    assert garbage.error == "body is not JSON"  # the reason brought up to date
    assert garbage.attempts >= 2


async def test_statuses_refused_for_their_form_are_sent_again_and_the_rest_stay(
    db: Database,
) -> None:
    await queue(db, "b-1", ["accepted", "contacted"])
    await queue(db, "b-2", ["accepted"])
    await queue(db, "b-3", ["accepted"])
    refusals = {
        "b-1": (OutboxState.PARKED, "invalid: unknown status 'device_received'"),
        "b-2": (OutboxState.PENDING, "endpoint gone: HTTP 410: gone"),
        "b-3": (OutboxState.PARKED, "forbidden: transition accepted -> accepted"),
    }
    async with db.transaction() as session:
        for avito_id, (state, error) in refusals.items():
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.avito_lead_id == avito_id, OutboxItem.status == "accepted")
                .values(state=state, last_error=error, attempts=3)
            )

    report = await replay(db, LocalWakeups(), actor="olga")

    assert report.statuses_resent == 2
    async with db.transaction() as session:
        items = {
            item.avito_lead_id: item
            for item in (await session.scalars(select(OutboxItem))).all()
            if item.status == "accepted"
        }
        actions = (await session.scalars(select(OperatorAction))).all()
    assert items["b-1"].state == items["b-2"].state == OutboxState.PENDING
    assert items["b-3"].state == OutboxState.PARKED  # the lead's state, not the form: a person's
    assert sorted((action.action, action.actor) for action in actions) == [
        ("retry", "olga"),
        ("unpark", "olga"),
    ]


async def test_a_batch_of_held_back_requests_is_replayed_whole_around_one_the_database_refuses(
    db: Database,
) -> None:
    """More than one replay batch; in the first, a request holding a NUL character, which
    PostgreSQL's JSON cannot store (SQLite's can): only that one stays held back."""
    leads = [after_the_break(seed=100 + number) for number in range(BATCH + 20)]
    for number, lead in enumerate(leads):
        lead["id"] = f"b-{number:06d}"  # each factory starts its ids at 1
    leads[7]["device"]["color"] = "чёрный\u0000"
    for lead in leads:
        await hold_back(db, "webhook", envelope(lead))
    install_mapping(AvitoSettings(mapping_file=AFTER_BREAK))

    report = await replay(db, LocalWakeups(), actor="olga")

    refused = 1 if db.is_postgres else 0
    assert (report.replayed, report.leads_created, report.still_quarantined) == (
        len(leads) - refused,
        len(leads) - refused,
        refused,
    )
    async with db.transaction() as session:
        stored = set((await session.scalars(select(Lead.avito_lead_id))).all())
        held = await inbox.held_back(session, "avito")
    assert stored == {str(lead["id"]) for lead in leads} - (
        {str(leads[7]["id"])} if refused else set()
    )
    assert [event.error[:35] for event in held] == ["the database cannot store this lead"] * refused
