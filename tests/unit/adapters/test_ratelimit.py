from __future__ import annotations

import pytest

from leadbridge.ratelimit import SlidingWindowLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_admits_the_limit_at_once_then_makes_the_next_wait_for_the_window() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(5, margin_s=0.03, clock=clock)
    for _ in range(5):
        assert limiter._delay(clock()) == 0
        limiter._sent.append(clock())
    assert limiter._delay(clock()) == pytest.approx(1.03)
    clock.now = 1.03
    assert limiter._delay(clock()) == 0


def test_push_back_pauses_even_with_free_slots() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(5, clock=clock)
    limiter.push_back(2.0)
    assert limiter._delay(clock()) == pytest.approx(2.0)


def test_fractional_rates_become_longer_windows() -> None:
    limiter = SlidingWindowLimiter.per_second(0.5)
    assert limiter._limit == 1
    assert limiter._window == pytest.approx(2.03)


@pytest.mark.anyio
async def test_no_window_ever_holds_more_than_the_limit() -> None:
    limiter = SlidingWindowLimiter(20, window_s=0.2, margin_s=0.0)
    import time

    stamps = []
    for _ in range(60):
        await limiter.acquire()
        stamps.append(time.monotonic())
    for index, start in enumerate(stamps):
        inside = [s for s in stamps[index:] if s - start < 0.2 - 1e-6]
        assert len(inside) <= 20
