"""Client-side rate limiting: never send more than the partner allows.

A sliding-window log admits at most `limit` requests in any window of `window_s` seconds. A
request's place in the log is its start while it is in flight and its end once answered: the
server saw it somewhere in between, so counting from the answer keeps the server's own window
within the limit however long requests take — also when a busy event loop sends a burst late.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from leadbridge.metrics import LIMITER_WAIT

SAFETY_MARGIN_S = 0.01


class RateLimiter(Protocol):
    def slot(self) -> contextlib.AbstractAsyncContextManager[float]:
        """Hold a slot for one request, from before it is sent until its answer is read.
        Yields the seconds waited for it."""

    def push_back(self, seconds: float) -> None:
        """The partner said slow down: admit nothing for `seconds`."""


class _Slot:
    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


class SlidingWindowLimiter:
    def __init__(
        self,
        limit: int,
        window_s: float = 1.0,
        *,
        margin_s: float = SAFETY_MARGIN_S,
        clock: Callable[[], float] = time.monotonic,
        name: str = "unnamed",
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._limit = limit
        self._window = window_s + margin_s
        self._clock = clock
        self._slots: list[_Slot] = []
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._waits = LIMITER_WAIT.labels(limiter=name)

    @classmethod
    def per_second(cls, rps: float, *, name: str = "unnamed") -> SlidingWindowLimiter:
        """A fractional rate (0.5 rps) becomes one request per 2 s."""
        if rps >= 1:
            return cls(int(rps), name=name)
        return cls(1, window_s=1 / rps, name=name)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        taken, waited = await self._take()
        self._waits.observe(waited)
        try:
            yield waited
        finally:
            taken.at = self._clock()

    def push_back(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def _take(self) -> tuple[_Slot, float]:
        async with self._lock:
            waited = 0.0
            while (delay := self.delay(self._clock())) > 0:
                await asyncio.sleep(delay)
                waited += delay
            taken = _Slot(self._clock())
            self._slots.append(taken)
            return taken, waited

    def delay(self, now: float) -> float:
        """Seconds until a request may start."""
        self._slots = [slot for slot in self._slots if now - slot.at < self._window]
        pause = max(self._paused_until - now, 0.0)
        if len(self._slots) < self._limit:
            return pause
        oldest = min(slot.at for slot in self._slots)
        return max(pause, oldest + self._window - now)

    def usage(self) -> tuple[int, int]:
        """Requests counted in the current window, and the most it admits (for the dashboard)."""
        now = self._clock()
        return sum(1 for slot in self._slots if now - slot.at < self._window), self._limit
