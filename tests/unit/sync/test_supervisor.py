"""The supervisor: a loop that fails anywhere is started again, each incident is logged once,
and a partner's outage inside a step neither restarts the loop nor stops its passes."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from structlog.testing import capture_logs

from leadbridge.sync.supervisor import Supervisor

pytestmark = pytest.mark.anyio


class DatabaseGone(Exception):
    """Stands for the OperationalError of a database that restarts."""


def _supervisor() -> Supervisor:
    return Supervisor(role="worker", restart_base_s=0.01)


async def _until(condition: object, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110 (state of other tasks)
            await asyncio.sleep(0.005)


async def test_a_loop_failing_outside_its_step_is_restarted_and_passes_again() -> None:
    loops, outage, passes = _supervisor(), {"left": 3}, []

    async def relay() -> None:
        while True:
            # Like the relay's `seconds_until_due()`: a query between steps, not inside one.
            if outage["left"]:
                outage["left"] -= 1
                raise DatabaseGone("connection refused")
            passes.append(1)
            loops.passed("relay")
            await asyncio.sleep(0.001)

    with capture_logs() as logs:
        loops.spawn("relay", 1.0, relay)
        await _until(lambda: len(passes) >= 5)
        await loops.halt(grace_s=1.0)

    (record,) = loops.records()
    assert (record.restarts, record.state) == (3, "running")
    assert record.last_error == "DatabaseGone: connection refused"
    events = [entry["event"] for entry in logs]
    # Three failures in a row are one incident: one line with its stack, then one recovery.
    assert events.count("loop.failed") == 1
    assert events.count("loop.recovered") == 1


async def test_a_loop_that_keeps_failing_shows_as_restarting() -> None:
    loops = _supervisor()

    async def broken() -> None:
        raise DatabaseGone("still down")

    with capture_logs() as logs:
        loops.spawn("deals", 1.0, broken)
        await _until(lambda: loops.loops["deals"].restarts >= 3)
        (record,) = loops.records()
        await loops.halt(grace_s=1.0)

    assert record.state == "restarting"
    assert [entry["event"] for entry in logs].count("loop.failed") == 1


async def test_two_incidents_are_logged_twice() -> None:
    loops, script = _supervisor(), ["fail", "pass", "fail", "pass"]
    done = asyncio.Event()

    async def flaky() -> None:
        while script:
            if script.pop(0) == "fail":
                raise DatabaseGone("gone again")
            loops.passed("flaky")
        done.set()
        await asyncio.sleep(60)

    with capture_logs() as logs:
        loops.spawn("flaky", 1.0, flaky)
        await asyncio.wait_for(done.wait(), 5.0)
        await loops.halt(grace_s=1.0)

    events = [entry["event"] for entry in logs]
    assert (events.count("loop.failed"), events.count("loop.recovered")) == (2, 2)


async def test_a_partner_outage_inside_a_step_is_ridden_out_without_a_restart() -> None:
    loops, answers = _supervisor(), 0

    async def amocrm_down() -> int:
        nonlocal answers
        answers += 1
        raise httpx.ConnectError("amoCRM refused the connection")

    async def deals() -> None:
        while True:
            assert await loops.step("deals", amocrm_down) == 0
            loops.passed("deals")

    with capture_logs() as logs:
        loops.spawn("deals", 1.0, deals)
        # Each failed step pauses for two seconds before the pass completes.
        await _until(lambda: answers >= 2, seconds=10.0)
        await loops.halt(grace_s=0.0)

    (record,) = loops.records()
    assert (record.restarts, record.state) == (0, "running")
    assert [entry["event"] for entry in logs].count("flow.partner_failed") == 1


async def test_a_cancelled_loop_is_not_restarted() -> None:
    loops, starts = _supervisor(), []

    async def idle() -> None:
        starts.append(1)
        await asyncio.sleep(60)

    loops.spawn("idle", 1.0, idle)
    await _until(lambda: starts)
    await loops.halt(grace_s=1.0)
    await asyncio.sleep(0.05)

    assert starts == [1]
    assert loops.records()[0].restarts == 0
