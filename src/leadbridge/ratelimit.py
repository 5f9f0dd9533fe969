"""Client-side rate limiting: never send more than the partner allows.

Two implementations of one `RateLimiter` port: `SlidingWindowLimiter` in process memory (one
process: SQLite, the sandbox, benches) and `DatabaseLimiter`, whose `limit` token rows are
shared by every worker (see `store/rate_limits.py`).

Both keep the same rule: at most `limit` requests in flight or answered less than `window_s`
ago. The server saw each request somewhere between its start and its answer, so no window of
the server's own can hold more than the limit, however long requests take — also when a busy
event loop sends a burst late.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from leadbridge.metrics import LIMITER_WAIT
from leadbridge.store import rate_limits
from leadbridge.store.database import Database

SAFETY_MARGIN_S = 0.01
# A request is over by then (the clients' timeouts are shorter): the token of a process that
# died mid-request is free again after this and a window.
LONGEST_REQUEST_S = 30.0
BUSY_POLL_S = 0.05


class RateLimiter(Protocol):
    def slot(self) -> contextlib.AbstractAsyncContextManager[float]:
        """Hold a slot for one request, from before it is sent until its answer is read.
        Yields the seconds waited for it."""

    @property
    def interval_s(self) -> float:
        """The mean time between two requests at the full rate."""

    async def pause(self, seconds: float) -> None:
        """The partner said slow down: admit nothing for `seconds` from now."""

    async def ready(self, ahead_s: float = 0.0) -> None:
        """Wait until a request could start within `ahead_s`, without taking its slot: a caller
        that gathers work for the request (a batch) does so after the wait, not before it, and
        `ahead_s` is the time the gathering takes."""

    def usage(self) -> tuple[int, int]:
        """Requests in the current window, and the most it admits (for the dashboard)."""


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
        self._released = asyncio.Event()
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
            self._released.set()

    @property
    def interval_s(self) -> float:
        return self._interval

    async def pause(self, seconds: float) -> None:
        self.push_back(seconds)

    def push_back(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def ready(self, ahead_s: float = 0.0) -> None:
        async with self._lock:
            await self._until_free(ahead_s)

    async def _take(self) -> tuple[_Slot, float]:
        async with self._lock:
            started = self._clock()
            await self._until_free()
            taken = _Slot(math.inf)  # in flight until its answer
            self._slots.append(taken)
            return taken, self._clock() - started

    async def _until_free(self, ahead_s: float = 0.0) -> None:
        while (delay := self.delay(self._clock())) > ahead_s:
            self._released.clear()
            # Every slot in flight: only an answer frees one.
            timeout = None if math.isinf(delay) else delay - ahead_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), timeout)

    def delay(self, now: float) -> float:
        """Seconds until a request may start (infinite while every slot is in flight)."""
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
    """The sliding-window log of `SlidingWindowLimiter` kept in the database, so that every
    process sharing it counts towards one limit: `limit` tokens of `key`, each held from before
    a request is sent until a window after its answer (`store/rate_limits.py`).

    No pacing guess is involved: a request sent late by a busy process, or answered slowly,
    holds its token the longer. A 429 pauses the key for every process; `X-RateLimit-Remaining:
    0` adds an interval.
    """

    def __init__(
        self,
        db: Database,
        key: str,
        limit: int,
        window_s: float = 1.0,
        *,
        margin_s: float = SAFETY_MARGIN_S,
        longest_request_s: float = LONGEST_REQUEST_S,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._db, self.key = db, key
        self._limit, self._window = limit, window_s + margin_s
        self._hold = longest_request_s + self._window
        self._provided = False
        self._sent: collections.deque[float] = collections.deque()
        self._clock = time.monotonic
        self._waits = LIMITER_WAIT.labels(limiter=key.replace(":", "_"))

    @classmethod
    def per_second(
        cls,
        db: Database,
        key: str,
        rps: float,
        *,
        margin_s: float = SAFETY_MARGIN_S,
        longest_request_s: float = LONGEST_REQUEST_S,
    ) -> DatabaseLimiter:
        window = 1.0 if rps >= 1 else 1 / rps
        limit = int(rps) if rps >= 1 else 1
        return cls(db, key, limit, window, margin_s=margin_s, longest_request_s=longest_request_s)

    @property
    def interval_s(self) -> float:
        return self._window / self._limit

    async def take(self) -> tuple[int, float]:
        """A token of `key`, and the seconds waited for it."""
        await self._provide()
        waited = 0.0
        while True:
            async with self._db.transaction() as session:
                taken = await rate_limits.take(session, self.key, hold_s=self._hold)
            if taken.token is not None:
                return taken.token, waited
            waited += await self._wait(taken)

    async def ready(self, ahead_s: float = 0.0) -> None:
        await self._provide()
        while True:
            async with self._db.transaction() as session:
                state = await rate_limits.peek(session, self.key)
            if state.token is not None:
                return
            if state.free_at is not None and state.free_at - state.now <= ahead_s:
                return
            await self._wait(state, ahead_s)

    async def _wait(self, state: rate_limits.Taken, ahead_s: float = 0.0) -> float:
        """Sleep until a token may be free (`ahead_s` before); returns the seconds slept."""
        if state.free_at is None:  # no tokens at all: the database lost them in a crash
            self._provided = False
            await self._provide()
            return 0.0
        # A token cooling down or paused says when it is free; one in flight does not, so look
        # again soon. Another process may take the token first: then wait on.
        due = state.free_at - state.now - ahead_s
        known = due <= self._window or state.free_at == state.paused_until
        delay = max(due, 0.001) if known else BUSY_POLL_S
        await asyncio.sleep(delay)
        return delay

    async def release(self, token: int) -> None:
        async with self._db.transaction() as session:
            await rate_limits.release(session, self.key, token, cool_s=self._window)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        token, waited = await self.take()
        self._waits.observe(waited)
        try:
            self._sent.append(self._clock())
            yield waited
        finally:
            # Shielded: a cancelled request (shutdown, timeout) still gives its token back.
            await asyncio.shield(self.release(token))

    def usage(self) -> tuple[int, int]:
        """Requests this process sent in the last window, and the most the window admits (for
        the dashboard; the other workers' share is not counted here)."""
        now = self._clock()
        while self._sent and now - self._sent[0] >= self._window:
            self._sent.popleft()
        return len(self._sent), self._limit

    async def pause(self, seconds: float) -> None:
        await self._provide()
        async with self._db.transaction() as session:
            await rate_limits.pause(session, self.key, seconds=seconds)

    async def _provide(self) -> None:
        if not self._provided:
            async with self._db.transaction() as session:
                await rate_limits.provide(session, self.key, self._limit)
            self._provided = True
