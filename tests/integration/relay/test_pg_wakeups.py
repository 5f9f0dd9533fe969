"""Wake-ups across processes: LISTEN/NOTIFY on PostgreSQL, in memory on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.databases import database, postgres_database
from tests.integration.relay.lead_rig import NOW, queue

from leadbridge.domain.status_path import PlannedStatus
from leadbridge.store import outbox
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.wakeups import DEALS, OUTBOX, LocalWakeups, PgWakeups, wakeups_for

pytestmark = pytest.mark.anyio
LONG_S = 30.0  # a waiter that is not woken would wait this long: a failure, not a pass


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
async def two_processes(postgres_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines, two pools: as far as PostgreSQL can tell, two processes."""
    upgrade(postgres_url)
    first, second = Database(postgres_url), Database(postgres_url)
    yield first, second
    await first.dispose()
    await second.dispose()


async def _listening(db: Database) -> PgWakeups:
    """A waiter whose LISTEN connection is up and whose start-up wake-up is consumed."""
    waiter = PgWakeups(db)
    await waiter.wait(OUTBOX, 0)  # opens the LISTEN connection
    await waiter.listening.wait()
    for topic in (OUTBOX, DEALS):
        await waiter.wait(topic, 0)
    return waiter


async def test_a_notify_wakes_a_waiter_in_another_process(
    two_processes: tuple[Database, Database],
) -> None:
    notifier, waiter = PgWakeups(two_processes[0]), await _listening(two_processes[1])
    try:
        notifier.notify(OUTBOX)
        assert await waiter.wait(OUTBOX, LONG_S)
        assert not await waiter.wait(DEALS, 0.2)  # only the topic notified
    finally:
        await notifier.aclose()
        await waiter.aclose()


async def test_queued_statuses_wake_other_relays_at_commit_only(
    two_processes: tuple[Database, Database],
) -> None:
    db, waiter = two_processes[0], await _listening(two_processes[1])
    try:
        lead_id = await queue(db, "w-1", ["accepted"])
        assert await waiter.wait(OUTBOX, LONG_S)
        with pytest.raises(RuntimeError):
            await _enqueue_then_fail(db, lead_id)
        assert not await waiter.wait(OUTBOX, 0.5)  # no work, no wake-up
        async with db.transaction() as session:
            await _enqueue(session, lead_id, "contacted")
        assert await waiter.wait(OUTBOX, LONG_S)
    finally:
        await waiter.aclose()


async def _enqueue_then_fail(db: Database, lead_id: int) -> None:
    async with db.transaction() as session:
        await _enqueue(session, lead_id, "contacted")
        raise RuntimeError("rolled back")


async def _enqueue(session: AsyncSession, lead_id: int, status: str) -> None:
    await outbox.enqueue(
        session,
        lead_id=lead_id,
        avito_lead_id="w-1",
        statuses=[PlannedStatus(status)],
        occurred_at=NOW,
        now=NOW,
    )


async def test_a_dropped_listen_connection_comes_back(
    two_processes: tuple[Database, Database],
) -> None:
    db, waiter = two_processes[0], await _listening(two_processes[1])
    try:
        waiter.listening.clear()
        async with db.transaction() as session:
            await session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
                )
            )
        await waiter.listening.wait()  # reopened after a pause
        await waiter.wait(OUTBOX, 0)  # the wake-up every reconnect gives
        notifier = PgWakeups(db)
        notifier.notify(OUTBOX)
        assert await waiter.wait(OUTBOX, LONG_S)
        await notifier.aclose()
    finally:
        await waiter.aclose()


async def test_sqlite_wakes_within_the_process(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url:
        db = Database(url)
        wakeups = wakeups_for(db)
        assert isinstance(wakeups, LocalWakeups)
        wakeups.notify(OUTBOX)
        assert await wakeups.wait(OUTBOX, LONG_S)
        assert not await wakeups.wait(OUTBOX, 0.05)
        await db.dispose()
