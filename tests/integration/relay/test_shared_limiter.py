"""The rate limiter shared through the database: several users, one limit, one pause."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import anyio
import pytest

from leadbridge.avito.client import RATE_LIMIT_PAUSE_S, AvitoClient
from leadbridge.avito.results import Outcome, StatusUpdate
from leadbridge.config import AvitoSettings
from leadbridge.ratelimit import DatabaseLimiter
from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.avito_limiters import database_limiters
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
    held: list[tuple[float, float]] = []  # from before sending until the answer, this clock

    async def send(limiter: DatabaseLimiter) -> None:
        for _ in range(8):
            async with limiter.slot():
                start = time.monotonic()
                await anyio.sleep(0.02)  # the request
                held.append((start, time.monotonic()))

    async with anyio.create_task_group() as group:
        for limiter in users:
            group.start_soon(send, limiter)
    assert len(held) == 16
    # The partner saw each request between its start and its answer, so at no moment may more
    # than LIMIT requests be in flight or answered less than a window ago.
    for start, _ in held:
        counted = [1 for other_start, end in held if other_start <= start < end + 1.0]
        assert len(counted) <= LIMIT
    # And the limit is used: 16 requests, 5 a window, take about three windows; one at a time
    # would take fifteen. The bound is loose because a loaded machine delays every database
    # round trip (how close to the limit it gets is bench/avito_status_apply.py's to measure).
    starts = sorted(start for start, _ in held)
    assert starts[-1] - starts[0] < 3 * (1.0 + 0.02) + 3.0


async def test_a_pause_by_one_user_holds_back_the_other(
    engines: tuple[Database, Database],
) -> None:
    first, second = (DatabaseLimiter(db, "avito:leads_get", LIMIT) for db in engines)
    paused_at = time.monotonic()
    await first.pause(1.0)
    wait_s = (await second.take())[1]
    # The rest of the pause, however long the round trips in between took.
    assert wait_s >= 1.0 - (time.monotonic() - paused_at) - 0.05
    assert wait_s > 0


async def test_keys_are_independent(engines: tuple[Database, Database]) -> None:
    await DatabaseLimiter(engines[0], "avito:status_apply", LIMIT).pause(5.0)
    assert (await DatabaseLimiter(engines[1], "avito:leads_get", LIMIT).take())[1] == 0


async def test_a_request_longer_than_the_window_holds_its_token_until_answered(
    engines: tuple[Database, Database],
) -> None:
    first, second = (
        DatabaseLimiter(db, "avito:status_get", 1, window_s=0.3, margin_s=0.0) for db in engines
    )
    answered = 0.0
    holding = anyio.Event()

    async def slow_request() -> None:
        nonlocal answered
        async with first.slot():
            holding.set()
            await anyio.sleep(0.6)  # twice the window
            answered = time.monotonic()

    async with anyio.create_task_group() as group:
        group.start_soon(slow_request)
        await holding.wait()  # the first holds the token (however long taking it took)
        async with second.slot():
            started = time.monotonic()
    assert started >= answered + 0.3 - 0.02


async def test_the_token_of_a_process_that_died_mid_request_comes_back(
    engines: tuple[Database, Database],
) -> None:
    dying, other = (
        DatabaseLimiter(db, "avito:token", 1, window_s=0.2, margin_s=0.0, longest_request_s=0.5)
        for db in engines
    )
    await dying.take()  # and never answered
    before = time.monotonic()
    await other.take()
    assert 0.5 <= time.monotonic() - before < 5.0  # comes back, not never (loose: a busy machine)


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
        before = time.monotonic()
        [result] = await worker.apply_statuses([update])
        await worker.aclose()
    assert result.outcome is Outcome.RETRYABLE
    wait_s = (await other.take())[1]
    elapsed_s = time.monotonic() - before
    # The other worker waits out the rest of the 1 s pause, however long the steps took.
    assert wait_s >= RATE_LIMIT_PAUSE_S - elapsed_s - 0.05
    if elapsed_s < RATE_LIMIT_PAUSE_S * 0.9:
        assert wait_s > 0


async def test_ready_waits_until_a_token_is_free_and_leaves_it_there(
    engines: tuple[Database, Database],
) -> None:
    first, second = (
        DatabaseLimiter(db, "avito:status_apply", 1, window_s=0.4, margin_s=0.0) for db in engines
    )
    async with first.slot():
        answered = time.monotonic()
    await second.ready()
    assert time.monotonic() - answered >= 0.4 - 0.02
    assert (await second.take())[1] == 0  # the token waited for is still free
