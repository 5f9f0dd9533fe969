"""Client-side rate limiting: never send more than the partner allows.

Two implementations of one `RateLimiter` port: `SlidingWindowLimiter` in process memory (one
process, no database: the sandbox, benches) and `DatabaseLimiter`, whose state
is a row shared by every worker (see `store/rate_limits.py`).

A sliding-window log admits at most `limit` requests in any window of `window_s` seconds. A
request's place in the log is its start while it is in flight and its end once answered: the
server saw it somewhere in between, so counting from the answer keeps the server's own window
within the limit however long requests take — also when a busy event loop sends a burst late.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from leadbridge.metrics import LIMITER_WAIT
from leadbridge.store import rate_limits
from leadbridge.store.database import Database

SAFETY_MARGIN_S = 0.01


class RateLimiter(Protocol):
    def slot(self) -> contextlib.AbstractAsyncContextManager[float]:
        """Hold a slot for one request, from before it is sent until its answer is read.
        Yields the seconds waited for it."""

    @property
    def interval_s(self) -> float:
        """The mean time between two requests at the full rate."""

    async def pause(self, seconds: float) -> None:
        """The partner said slow down: admit nothing for `seconds` from now."""


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
        self._interval = self._window / limit
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

    @property
    def interval_s(self) -> float:
        return self._interval

    async def pause(self, seconds: float) -> None:
        self.push_back(seconds)

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


class DatabaseLimiter:
    """GCRA over a database row: requests of `key` start at least `interval_s` apart, counted
    across every process sharing the database.

    Smooth pacing, no bursts: a partner counting in fixed one-second windows then sees at most
    `limit` requests in any window. What the sliding window gets by counting a request from its
    answer, this gets by carrying over: the time a request took past its slot (latency, a busy
    loop sending late) is added, divided among the `limit` slots of a window, to the next slot
    this limiter reserves. So `limit` consecutive slots span the window plus about one answer's
    delay, whichever process sent them. `X-RateLimit-Remaining: 0` adds an interval after the
    answer; a 429 a second.
    """

    def __init__(
        self,
        db: Database,
        key: str,
        limit: int,
        window_s: float = 1.0,
        *,
        margin_s: float = SAFETY_MARGIN_S,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._db, self.key = db, key
        self._limit, self._window = limit, window_s + margin_s
        self._interval = self._window / limit
        self._carry = 0.0
        self._sent: collections.deque[float] = collections.deque()
        self._clock = time.monotonic
        self._waits = LIMITER_WAIT.labels(limiter=key.replace(":", "_"))

    @classmethod
    def per_second(
        cls, db: Database, key: str, rps: float, *, margin_s: float = SAFETY_MARGIN_S
    ) -> DatabaseLimiter:
        if rps >= 1:
            return cls(db, key, int(rps), margin_s=margin_s)
        return cls(db, key, 1, window_s=1 / rps, margin_s=margin_s)

    @property
    def interval_s(self) -> float:
        return self._interval

    async def reserve(self, extra_s: float = 0.0) -> rate_limits.Reservation:
        """One atomic statement: the next free slot of `key`, taken."""
        async with self._db.transaction() as session:
            return await rate_limits.reserve(
                session, self.key, interval_s=self._interval, extra_s=extra_s
            )

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        reservation = await self.reserve(self._carry)
        planned = self._clock() + reservation.wait_s
        self._waits.observe(reservation.wait_s)
        if reservation.wait_s > 0:
            await asyncio.sleep(reservation.wait_s)
        try:
            self._sent.append(self._clock())
            yield reservation.wait_s
        finally:
            # A timeout-long request must not stall everyone for long: at most one window.
            overrun = min(max(self._clock() - planned, 0.0), self._window)
            self._carry = overrun / self._limit

    def usage(self) -> tuple[int, int]:
        """Requests this process sent in the last window, and the most the window admits (for
        the dashboard; the other workers' share is not counted here)."""
        now = self._clock()
        while self._sent and now - self._sent[0] >= self._window:
            self._sent.popleft()
        return len(self._sent), self._limit

    async def pause(self, seconds: float) -> None:
        async with self._db.transaction() as session:
            await rate_limits.push_back(session, self.key, seconds=seconds)
