"""Client-side rate limiting: never send more than the partner allows.

A sliding-window log admits at most `limit` requests in any window of `window_s` seconds. The
window is a little longer than the partner's second, so that latency jitter between our clock
and the server's cannot squeeze `limit + 1` requests into one of its windows.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

SAFETY_MARGIN_S = 0.03


class RateLimiter(Protocol):
    async def acquire(self) -> float:
        """Wait for a slot; returns the seconds waited."""

    def push_back(self, seconds: float) -> None:
        """The partner said slow down: admit nothing for `seconds`."""


class SlidingWindowLimiter:
    def __init__(
        self,
        limit: int,
        window_s: float = 1.0,
        *,
        margin_s: float = SAFETY_MARGIN_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._limit = limit
        self._window = window_s + margin_s
        self._clock = clock
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    @classmethod
    def per_second(cls, rps: float) -> SlidingWindowLimiter:
        """A fractional rate (0.5 rps) becomes one request per 2 s."""
        if rps >= 1:
            return cls(int(rps))
        return cls(1, window_s=1 / rps)

    async def acquire(self) -> float:
        async with self._lock:
            waited = 0.0
            while (delay := self._delay(self._clock())) > 0:
                await asyncio.sleep(delay)
                waited += delay
            self._sent.append(self._clock())
            return waited

    def push_back(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _delay(self, now: float) -> float:
        while self._sent and now - self._sent[0] >= self._window:
            self._sent.popleft()
        pause = self._paused_until - now
        if len(self._sent) < self._limit:
            return max(pause, 0.0)
        return max(pause, self._sent[0] + self._window - now)
