from __future__ import annotations

import asyncio
import time

import pytest

from leadbridge.ratelimit import SlidingWindowLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.anyio
async def test_admits_the_limit_at_once_then_waits_for_the_window() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(5, margin_s=0.03, clock=clock)
    for _ in range(5):
        async with limiter.slot() as waited:
            assert waited == 0
    assert limiter.delay(clock.now) == pytest.approx(1.03)
    clock.now = 1.03
    assert limiter.delay(clock.now) == 0


@pytest.mark.anyio
async def test_a_slot_counts_from_when_its_answer_arrived() -> None:
    """A slow request keeps its place until it is answered: the server saw it late."""
    clock = FakeClock()
    limiter = SlidingWindowLimiter(1, margin_s=0.0, clock=clock)
    async with limiter.slot():
        clock.now = 0.8  # the answer took 0.8 s
    clock.now = 1.2
    assert limiter.delay(clock.now) == pytest.approx(0.6)


def test_push_back_pauses_even_with_free_slots() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(5, clock=clock)
    limiter.push_back(2.0)
    assert limiter.delay(clock.now) == pytest.approx(2.0)


def test_fractional_rates_become_longer_windows() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter.per_second(0.5)
    assert limiter.delay(clock.now) == 0
    limiter.push_back(0)
    assert SlidingWindowLimiter.per_second(0.5)._window == pytest.approx(2.01)


@pytest.mark.anyio
async def test_no_window_ever_holds_more_than_the_limit_under_concurrency() -> None:
    limiter = SlidingWindowLimiter(10, window_s=0.2, margin_s=0.0)
    starts: list[float] = []

    async def request() -> None:
        async with limiter.slot():
            starts.append(time.monotonic())
            await asyncio.sleep(0.005)

    await asyncio.gather(*(request() for _ in range(40)))
    for index, start in enumerate(sorted(starts)):
        inside = [s for s in sorted(starts)[index:] if s - start < 0.2 - 1e-6]
        assert len(inside) <= 10


@pytest.mark.anyio
async def test_a_request_in_flight_longer_than_the_window_keeps_its_slot() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(1, margin_s=0.0, clock=clock)
    async with limiter.slot():
        clock.now = 1.5  # still no answer, a window and a half later
        assert limiter.delay(clock.now) == float("inf")
    clock.now = 1.6
    assert limiter.delay(clock.now) == pytest.approx(0.9)


@pytest.mark.anyio
async def test_ready_waits_for_a_slot_without_taking_it() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(1, margin_s=0.0, clock=clock)
    async with limiter.slot():
        pass
    clock.now = 0.8  # the slot is free again at 1.0
    await asyncio.wait_for(limiter.ready(ahead_s=0.3), timeout=0.1)  # within 0.3 s: at once
    assert limiter.delay(clock.now) == pytest.approx(0.2)  # and still there to be taken
