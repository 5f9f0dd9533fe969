"""Routing's turns are kept in the database: fair across restarts and across workers, on SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from leadbridge.domain.routing import Routing, Team
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import Lead
from leadbridge.sync.intake import Arrival as Payload
from leadbridge.sync.intake import accept_leads
from leadbridge.sync.routing import Arrival, Router
from leadbridge.sync.wakeups import LocalWakeups

CITIES = ["Москва", "москва", "Казань", "КАЗАНЬ", "Тверь"]
FALLBACK = 99
MIGRATED: set[str] = set()


def routing(prefix: str) -> Routing:
    """Team names fresh for each example, so that each starts from turns of its own."""
    return Routing(
        (
            Team(f"{prefix}-msk", frozenset({"москва"}), (1, 2, 3)),
            Team(f"{prefix}-kzn", frozenset({"казань"}), (7, 8)),
        ),
        fallback_user_id=FALLBACK,
    )


async def store_leads(db: Database, cities: Sequence[str]) -> list[Arrival]:
    factory, raws = LeadFactory(seed=1), []
    for city in cities:
        raw = factory.make()
        raw["id"], raw["location"] = f"r-{uuid.uuid4().hex}", {"city": city}
        raws.append(raw)
    await accept_leads(db, [Payload(raw, "feed") for raw in raws], wakeups=LocalWakeups())
    async with db.transaction() as session:
        ids = dict(
            (await session.execute(select(Lead.avito_lead_id, Lead.id).where(
                Lead.avito_lead_id.in_([raw["id"] for raw in raws])
            ))).all()
        )  # fmt: skip
    return [Arrival(ids[raw["id"]], city) for raw, city in zip(raws, cities, strict=True)]


async def run_processes(
    url: str, prefix: str, runs: Sequence[Sequence[Sequence[str]]]
) -> list[int]:
    """Each run a new process (its own connections and router, nothing kept in memory), each
    holding batches of requests; the users given, in order."""
    given: list[int] = []
    for run in runs:
        db = Database(url)
        router = Router(routing(prefix), closed_statuses=())
        try:
            for batch in run:
                arrivals = await store_leads(db, batch)
                async with db.transaction() as session:
                    owners = await router.assign(session, arrivals)
                given += [owners[arrival.lead_id] for arrival in arrivals]
        finally:
            await db.dispose()
    return given


def spread(given: Sequence[int], users: Sequence[int]) -> int:
    counts = Counter(given)
    return max(counts[user] for user in users) - min(counts[user] for user in users)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    runs=st.lists(
        st.lists(st.lists(st.sampled_from(CITIES), min_size=1, max_size=4), max_size=3),
        min_size=1,
        max_size=4,
    )
)
def test_round_robin_spread_within_a_team_never_exceeds_one(
    database_url: str, runs: list[list[list[str]]]
) -> None:
    if database_url not in MIGRATED:
        upgrade(database_url)
        MIGRATED.add(database_url)

    given = asyncio.run(run_processes(database_url, uuid.uuid4().hex[:8], runs))

    cities = [city for run in runs for batch in run for city in batch]
    moscow = [user for user, city in zip(given, cities, strict=True) if city.casefold() == "москва"]
    kazan = [user for user, city in zip(given, cities, strict=True) if city.casefold() == "казань"]
    assert set(moscow) <= {1, 2, 3}
    assert spread(moscow, (1, 2, 3)) <= 1
    assert set(kazan) <= {7, 8}
    assert spread(kazan, (7, 8)) <= 1
    assert all(
        user == FALLBACK for user, city in zip(given, cities, strict=True) if city == "Тверь"
    )


@pytest.mark.anyio
async def test_two_workers_at_once_never_give_the_same_turn(
    db: Database, database_url: str
) -> None:
    arrivals = await store_leads(db, ["Москва"] * 12)
    prefix = uuid.uuid4().hex[:8]
    workers = [Database(database_url), Database(database_url)]
    routers = [Router(routing(prefix), closed_statuses=()) for _ in workers]

    async def assign(worker: int, mine: Sequence[Arrival]) -> dict[int, int]:
        owners: dict[int, int] = {}
        for arrival in mine:  # one deal per transaction: the most interleaving
            async with workers[worker].transaction() as session:
                owners |= await routers[worker].assign(session, [arrival])
        return owners

    try:
        first, second = await asyncio.gather(assign(0, arrivals[::2]), assign(1, arrivals[1::2]))
    finally:
        for worker in workers:
            await worker.dispose()

    assert Counter({**first, **second}.values()) == {1: 4, 2: 4, 3: 4}
