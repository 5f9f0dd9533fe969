"""Retention: the sellers of deals closed longer ago than the setting lose their personal data
(lead, raw inbox event, phone index); every other deal, and every amount, stays as it was."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from tests.integration.privacy.sellers import (
    LOST,
    NOW,
    WON,
    WORKING,
    YEAR,
    add_seller,
    purge,
    snapshot,
)

from leadbridge.store import lead_search
from leadbridge.store.database import Database
from leadbridge.store.tables import CrmContact, InboxEvent, Lead
from leadbridge.store.tables.privacy import PrivacyRun

pytestmark = pytest.mark.anyio


async def deals(db: Database) -> dict[str, int]:
    """Four sellers: closed four years ago (due), closed a year ago, open, and reopened."""
    return {
        "old": await add_seller(
            db,
            "old",
            phone="+79990000001",
            changes=[(WORKING, NOW - 5 * YEAR), (LOST, NOW - 4 * YEAR)],
        ),
        "recent": await add_seller(db, "recent", phone="+79990000002", changes=[(WON, NOW - YEAR)]),
        "open": await add_seller(
            db, "open", phone="+79990000003", changes=[(WORKING, NOW - 4 * YEAR)]
        ),
        "reopened": await add_seller(
            db,
            "reopened",
            phone="+79990000004",
            changes=[(WON, NOW - 5 * YEAR), (WORKING, NOW - 4 * YEAR)],
        ),
    }


async def test_a_deal_closed_four_years_ago_loses_its_sellers_data(db: Database) -> None:
    ids = await deals(db)
    before = await snapshot(db)

    report = await purge(db).run()

    assert (report.due, report.counts.leads, report.counts.events, report.counts.contacts) == (
        1, 1, 1, 1,
    )  # fmt: skip
    async with db.transaction() as session:
        old = await session.get(Lead, ids["old"])
        body = await session.scalar(
            select(InboxEvent.body).where(InboxEvent.event_key == "lead:old")
        )
        contacts = set(await session.scalars(select(CrmContact.phone_e164)))
        found = await lead_search.search(
            session, lead_search.LeadQuery("+79990000001", "+79990000001")
        )
        run = (await session.scalars(select(PrivacyRun))).one()
    assert old is not None
    assert body is not None
    assert (old.seller_name, old.seller_phone, old.imei, old.item_url) == (
        "удалено",
        None,
        None,
        None,
    )
    assert old.device["imei"] is None
    assert old.device["model"] == "iPhone 12"
    # What is not personal stays: the device, the prices, the city, the deal.
    assert (old.model, old.buyout_price_kopecks, old.city) == ("iPhone 12", 3_000_000, "Пермь")
    assert old.raw_payload == {
        "id": "old",
        "buyoutPrice": 3_000_000,
        "itemId": None,
        "itemUrl": None,
        "location": {"city": "Пермь"},
        "seller": None,
        "device": {"model": "iPhone 12", "imei": None, "memory": "128 ГБ"},
    }
    assert json.loads(body) == old.raw_payload
    for personal in ("Пётр", "79990000001", "356938035643809", "avito.ru/perm"):
        assert personal not in body
    assert "+79990000001" not in contacts
    assert len(contacts) == 3
    assert found.total == 0
    assert (run.actor, run.leads, run.events, run.contacts) == ("test", 1, 1, 1)
    assert run.finished_at is not None
    # The others are exactly as they were.
    after = await snapshot(db)
    kept = [row for row in before["leads"] if "'old'" not in row]
    assert [row for row in after["leads"] if "'old'" not in row] == kept
    assert after["status_log"] == before["status_log"]


async def test_a_dry_run_counts_and_changes_nothing(db: Database) -> None:
    await deals(db)
    before = await snapshot(db)

    report = await purge(db).dry_run()

    assert (report.due, report.counts.leads, report.run_id) == (1, 0, None)
    assert await snapshot(db) == before


async def test_a_second_run_finds_nothing_new(db: Database) -> None:
    await deals(db)
    first = await purge(db).run()
    between = await snapshot(db)

    second = await purge(db).run()

    assert (first.counts.leads, second.due, second.counts.leads) == (1, 0, 0)
    after = await snapshot(db)
    assert {name: rows for name, rows in after.items() if name != "privacy_runs"} == {
        name: rows for name, rows in between.items() if name != "privacy_runs"
    }
    assert len(after["privacy_runs"]) == 2  # each run is audited, empty or not


async def test_a_phone_another_live_deal_holds_stays_in_the_contact_index(db: Database) -> None:
    await add_seller(db, "gone", phone="+79990000009", changes=[(WON, NOW - 4 * YEAR)])
    await add_seller(db, "back", phone="+79990000009", changes=[(WORKING, NOW - YEAR)])

    report = await purge(db).run()

    async with db.transaction() as session:
        contacts = set(await session.scalars(select(CrmContact.phone_e164)))
    assert (report.counts.leads, report.counts.contacts) == (1, 0)
    assert contacts == {"+79990000009"}


async def test_batches_take_every_due_deal_and_the_setting_moves_the_cut_off(db: Database) -> None:
    for n in range(7):
        await add_seller(db, f"b-{n}", phone=f"+7999100000{n}", changes=[(LOST, NOW - 2 * YEAR)])
    progress: list[tuple[int, int]] = []

    kept = await purge(db, batch_size=3).run()  # three years: none is due yet
    report = await purge(db, batch_size=3, keep_closed_days=365).run(lambda *p: progress.append(p))

    assert (kept.due, report.due, report.counts.leads) == (0, 7, 7)
    assert progress == [(3, 7), (6, 7), (7, 7)]
