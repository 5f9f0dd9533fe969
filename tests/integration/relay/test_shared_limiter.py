"""The rate limiter shared through the database: several users, one limit, one pause."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import anyio
import pytest
from sqlalchemy import select

from leadbridge.avito.client import AvitoClient, database_limiters
from leadbridge.avito.results import Outcome, StatusUpdate
from leadbridge.config import AvitoSettings
from leadbridge.ratelimit import DatabaseLimiter
from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.store import rate_limits
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import RateLimitState
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
LIMIT = 5


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one database: two workers as far as the database can tell."""
    upgrade(database_url)
    first, second = Database(database_url), Database(database_url)
    yield first, second
    await first.dispose()
    await second.dispose()


async def test_two_users_never_get_more_than_the_limit_in_any_window(
    engines: tuple[Database, Database],
) -> None:
    users = [DatabaseLimiter(db, "avito:status_apply", LIMIT) for db in engines]
    slots: list[float] = []

    async def take(limiter: DatabaseLimiter) -> None:
        for _ in range(8):
            slots.append((await limiter.reserve()).at)

    async with anyio.create_task_group() as group:
        for limiter in users:
            group.start_soon(take, limiter)
    slots.sort()
    assert len(slots) == 16
    for index, start in enumerate(slots):
        in_window = [at for at in slots[index:] if at - start < 1.0]
        assert len(in_window) <= LIMIT
    # Atomic reservations: nobody shares a slot, and the rate is the limit, not less.
    assert min(b - a for a, b in itertools.pairwise(slots)) >= users[0].interval_s - 1e-6
    assert slots[-1] - slots[0] < 16 * users[0].interval_s


async def test_a_pause_by_one_user_holds_back_the_other(
    engines: tuple[Database, Database],
) -> None:
    first, second = (DatabaseLimiter(db, "avito:leads_get", LIMIT) for db in engines)
    async with engines[0].transaction() as session:
        before = await rate_limits.now(session)
    await first.pause(1.0)
    reservation = await second.reserve()
    assert reservation.at >= before + 1.0
    assert reservation.wait_s > 0.5


async def test_keys_are_independent(engines: tuple[Database, Database]) -> None:
    await DatabaseLimiter(engines[0], "avito:status_apply", LIMIT).pause(5.0)
    assert (await DatabaseLimiter(engines[1], "avito:leads_get", LIMIT).reserve()).wait_s == 0


async def test_a_429_from_avito_pauses_another_worker(engines: tuple[Database, Database]) -> None:
    config = AvitoSandboxConfig(method_rps={})
    app = create_avito_app(config)
    app.state.sandbox.add_lead({"id": "p-1"})
    async with serve(app) as url:
        settings = AvitoSettings(
            base_url=url, client_id=config.client_id, client_secret=config.client_secret
        )
        worker = AvitoClient(settings, limiters=database_limiters(engines[0], settings))
        other = database_limiters(engines[1], settings)["status_apply"]
        assert isinstance(other, DatabaseLimiter)
        await worker.read_status("p-1")  # a token before the 429s start
        app.state.sandbox.set_faults(burst_429_probability=1.0, burst_429_length=1)
        update = StatusUpdate("p-1", "accepted", datetime.now(UTC), "p-1:accepted")
        [result] = await worker.apply_statuses([update])
        await worker.aclose()
    assert result.outcome is Outcome.RETRYABLE
    assert (await other.reserve()).wait_s > 0.5


async def test_a_slow_answer_moves_the_next_slot_by_its_share(
    engines: tuple[Database, Database],
) -> None:
    db = engines[0]
    limiter = DatabaseLimiter(db, "avito:status_apply", LIMIT)
    async with limiter.slot():
        await anyio.sleep(0.5)  # the answer comes half a second after the slot
    async with db.transaction() as session:
        before = await rate_limits.now(session)
    async with limiter.slot():
        pass  # an answer at once
    slow = await _tat(db)
    async with limiter.slot():
        pass
    fast = await _tat(db)
    # The late answer's time, shared among the window's LIMIT slots, pushes the next slot.
    assert slow >= before + limiter.interval_s + 0.5 / LIMIT
    assert fast - slow < limiter.interval_s + 0.5 / LIMIT


async def _tat(db: Database) -> float:
    async with db.transaction() as session:
        value = await session.scalar(
            select(RateLimitState.tat).where(RateLimitState.key == "avito:status_apply")
        )
    assert value is not None
    return float(value)
