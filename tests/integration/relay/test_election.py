"""Election of the one process that runs a periodic job: a PostgreSQL advisory lock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text
from tests.databases import database, postgres_database

from leadbridge.store.database import Database
from leadbridge.sync.election import AdvisoryLockElection, SoleLeader, election_for

pytestmark = pytest.mark.anyio
JOB = "amocrm_events"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
async def electors(postgres_url: str) -> AsyncIterator[tuple[AdvisoryLockElection, ...]]:
    """Two processes' electors: each on its own connection."""
    pair = (AdvisoryLockElection(postgres_url), AdvisoryLockElection(postgres_url))
    yield pair
    for elector in pair:
        await elector.aclose()


async def _leaders(electors: tuple[AdvisoryLockElection, ...], job: str = JOB) -> list[bool]:
    return [await elector.is_leader(job) for elector in electors]


async def test_exactly_one_of_two_is_leader_and_stays_so(
    electors: tuple[AdvisoryLockElection, ...],
) -> None:
    first = await _leaders(electors)
    assert sorted(first) == [False, True]
    assert await _leaders(electors) == first  # asking again changes nothing
    assert sorted(await _leaders(electors, "avito_feed")) == [False, True]  # per job


async def test_the_other_takes_over_when_the_leader_shuts_down(
    electors: tuple[AdvisoryLockElection, ...],
) -> None:
    leader, follower = electors
    assert await leader.is_leader(JOB)
    assert not await follower.is_leader(JOB)
    await leader.aclose()
    assert await follower.is_leader(JOB)
    assert not await leader.is_leader(JOB)  # back, but the job has a leader now


async def test_a_lost_connection_is_lost_leadership(
    postgres_url: str, electors: tuple[AdvisoryLockElection, ...]
) -> None:
    leader, follower = electors
    assert await leader.is_leader(JOB)
    assert not await follower.is_leader(JOB)
    db = Database(postgres_url)
    async with db.transaction() as session:  # the leader's connection dies under it
        killed = await session.scalar(
            text(
                "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l "
                "JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"
            )
        )
    await db.dispose()
    assert killed == 1
    assert await _eventually_leader(follower)  # once the server has ended the dead session
    assert not await leader.is_leader(JOB)  # it notices, and does not run the job as well


async def _eventually_leader(elector: AdvisoryLockElection) -> bool:
    """Ask as a follower's loop does, round after round (here, every 50 ms)."""
    for _ in range(200):
        if await elector.is_leader(JOB):
            return True
        await anyio.sleep(0.05)
    return False


async def test_sqlite_has_one_process_which_leads(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url:
        db = Database(url)
        election = election_for(db)
        assert isinstance(election, SoleLeader)
        assert await election.is_leader(JOB)
        await db.dispose()


async def test_a_one_off_job_runs_in_one_process_at_a_time(
    postgres_url: str, electors: tuple[AdvisoryLockElection, ...]
) -> None:
    first, second = electors
    events: list[str] = []

    async def second_process() -> None:
        async with second.exclusive("provision"):
            events.append("second in")

    async with anyio.create_task_group() as group, first.exclusive("provision"):
        events.append("first in")
        group.start_soon(second_process)
        await _until_someone_waits_for_a_lock(postgres_url)
        events.append("first out")
    assert events == ["first in", "first out", "second in"]


async def _until_someone_waits_for_a_lock(url: str) -> None:
    db = Database(url)
    try:
        for _ in range(400):
            async with db.transaction() as session:
                waiting = await session.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                        "WHERE l.locktype = 'advisory' AND NOT l.granted "
                        "AND d.datname = current_database()"
                    )
                )
            if waiting:
                return
            await anyio.sleep(0.025)
        raise AssertionError("the second process never waited for the lock")
    finally:
        await db.dispose()
