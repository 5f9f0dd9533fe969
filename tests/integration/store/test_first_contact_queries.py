"""The rows speed of first contact is computed from, and the metric's buckets, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.periods import Week
from leadbridge.store import first_contact
from leadbridge.store.database import Database
from leadbridge.store.first_contact import CityWaits, ContactRow
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import Lead, LeadTask, StatusChange

pytestmark = pytest.mark.anyio
FUNNEL = load_funnel(DEFAULT_FUNNEL)
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday of 2026-W48
W48 = Week.parse("2026-W48")


def at(minute: int, base: datetime = T0) -> datetime:
    return base + timedelta(minutes=minute)


# id, city, manager, created, has a deal, task due, [(stage, minute after creation)]
LEADS = [
    (1, "Москва", 11, T0, True, at(15), [("taken", 5), ("contacted", 12), ("negotiation", 30)]),
    (2, "Москва", 12, T0, True, None, [("taken", 1), ("price_agreed", 80)]),  # skipped contacted
    (3, "Казань", 21, T0, True, at(15), [("lost", 10)]),  # closed without a call
    (4, "Казань", 21, at(30), True, at(45), []),  # not called yet
    (5, "Москва", None, T0, False, None, []),  # no deal yet: not counted
    (6, "Москва", 11, T0 - timedelta(days=7), True, None, [("contacted", 5)]),  # 2026-W47
    (7, "Казань", 22, T0, True, at(15), [("contacted", 20), ("lost", 60), ("contacted", 90)]),
]  # fmt: skip


async def load(database_url: str) -> Database:
    """The deals above in a migrated database (the page and CLI tests read them too)."""
    upgrade(database_url)
    database = Database(database_url)
    async with database.transaction() as session:
        for lead_id, city, manager, created, has_deal, due, changes in LEADS:
            session.add(_lead(lead_id, city, manager, created, has_deal))
            await session.flush()
            if due is not None:
                session.add(LeadTask(lead_id=lead_id, responsible_user_id=manager, due_at=due))
            for number, (stage, minute) in enumerate(changes):
                session.add(_change(lead_id, number, stage, at(minute, created)))
    return database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await load(database_url)
    yield database
    await database.dispose()


async def test_one_row_per_deal_of_the_period_with_its_first_contact_and_loss(
    db: Database,
) -> None:
    async with db.transaction() as session:
        rows = await first_contact.contacts(session, FUNNEL, W48.starts_at, W48.ends_at)

    assert rows == [
        ContactRow(1, "Москва", 11, T0, at(15), at(12), None),
        ContactRow(2, "Москва", 12, T0, None, at(80), None),  # a later stage counts
        ContactRow(3, "Казань", 21, T0, at(15), None, at(10)),
        ContactRow(4, "Казань", 21, at(30), at(45), None, None),
        ContactRow(7, "Казань", 22, T0, at(15), at(20), at(60)),  # the first call counts
    ]


async def test_an_open_period_reads_every_deal(db: Database) -> None:
    async with db.transaction() as session:
        every = await first_contact.contacts(session, FUNNEL, None, None)
        before = await first_contact.contacts(session, FUNNEL, None, W48.starts_at)

    assert [row.lead_id for row in every] == [1, 2, 3, 4, 6, 7]
    assert [row.lead_id for row in before] == [6]
    assert before[0].contacted_at == at(5, T0 - timedelta(days=7))


async def test_the_histogram_buckets_every_contacted_deal_per_city(db: Database) -> None:
    async with db.transaction() as session:
        cities = await first_contact.histogram(session, FUNNEL, [600.0, 1200.0, 3600.0])

    # Москва: 12 min, 80 min, 5 min; Казань: 20 min, exactly on a bound.
    assert cities == [
        CityWaits("Казань", (0, 1, 1), 1, 1200.0),
        CityWaits("Москва", (1, 2, 2), 3, 720.0 + 4800.0 + 300.0),
    ]


def _lead(lead_id: int, city: str, manager: int | None, created: datetime, deal: bool) -> Lead:
    return Lead(
        id=lead_id,
        avito_lead_id=f"b-{lead_id}",
        offer_type="buyout",
        device={},
        model="iPhone 13",
        seller_name="—",
        city=city,
        buyout_price_kopecks=2_500_000,
        avito_created_at=created,
        raw_payload={},
        deal_state="created" if deal else "pending",
        amo_lead_id=1000 + lead_id if deal else None,
        stage_key="new" if deal else None,
        responsible_user_id=manager,
        created_at=created,
        updated_at=created,
    )


def _change(lead_id: int, number: int, stage: str, when: datetime) -> StatusChange:
    return StatusChange(
        lead_id=lead_id,
        change_key=f"{lead_id}:{number}",
        new_status_id=number,
        stage_key=stage,
        verdict="send",
        source="webhook",
        occurred_at=when,
        recorded_at=when,
    )
