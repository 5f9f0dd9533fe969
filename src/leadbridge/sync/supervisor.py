"""Supervised loops: no fault stops a flow silently.

Failure rules, first:
- Any exception that escapes a loop (a database restart, a bug, a connection lost anywhere in the
  loop, not only inside its step) ends that run of the loop; it is logged once per incident with
  its stack and the loop starts again after a backoff that grows to `RESTART_MAX_S`. The process
  stays up: the next run finds the database back.
- A partner's passing trouble inside a step (amoCRM or Avito down, refusing, timing out) is the
  partner's to fix and ours to ride out: one line per incident, a pause, and the pass counts as
  done, because the loop itself is working.
- Each loop says when it completed a pass (`passed`). What every loop last did is kept in memory
  and written to the database by the `heartbeats` loop, so that `/readyz` and the dashboard of
  any process see a loop that is restarting or has stalled in any other process.
- A stop lets a step in flight finish within a grace period; idle loops are cancelled at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from leadbridge import logs
from leadbridge.amocrm.client import AmoApiError
from leadbridge.domain.loop_health import LoopRecord
from leadbridge.domain.retry import Backoff

log = structlog.get_logger(__name__)
# Failures of a partner's API (down, refusing, timing out), told apart from our own faults.
PARTNER_FAILURES = (httpx.TransportError, httpx.HTTPStatusError, AmoApiError)
PARTNER_PAUSE_S = 2.0
RESTART_BASE_S = 0.5
# Short enough that a loop is back within seconds of its database; the backoff still keeps a
# loop failing on a bug from spinning.
RESTART_MAX_S = 10.0


def process_name() -> str:
    """This process among all that share the database: host, pid and a random part (pids are
    reused across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class LoopState:
    """What one loop of this process last did."""

    name: str
    period_s: float
    last_pass_at: datetime
    restarts: int = 0
    failing: bool = False  # between a failure and the next completed pass
    partner_failing: bool = False
    last_error: str | None = None

    def record(self, process: str, role: str) -> LoopRecord:
        return LoopRecord(
            process=process,
            role=role,
            loop=self.name,
            period_s=self.period_s,
            state="restarting" if self.failing else "running",
            restarts=self.restarts,
            last_pass_at=self.last_pass_at,
            last_error=self.last_error,
        )


@dataclass
class Supervisor:
    role: str
    process: str = field(default_factory=process_name)
    rng: random.Random = field(default_factory=random.Random)
    restart_base_s: float = RESTART_BASE_S
    loops: dict[str, LoopState] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _in_step: set[asyncio.Task[Any]] = field(default_factory=set)
    stopping: bool = False

    def spawn(
        self, name: str, period_s: float, loop: Callable[[], Coroutine[Any, Any, None]]
    ) -> None:
        """Run `loop()` for as long as the process runs, started again whenever it fails."""
        self.loops[name] = LoopState(name, period_s, last_pass_at=datetime.now(UTC))
        self._tasks.append(asyncio.create_task(self._supervise(name, loop), name=name))

    def passed(self, name: str) -> None:
        """`name` completed a pass: it is alive, and any incident of it is over."""
        state = self.loops[name]
        state.last_pass_at = datetime.now(UTC)
        if state.failing:
            state.failing = False
            log.info("loop.recovered", loop=name, restarts=state.restarts)

    def records(self) -> list[LoopRecord]:
        return [state.record(self.process, self.role) for state in self.loops.values()]

    async def step(self, name: str, step: Callable[[], Awaitable[int]]) -> int:
        """One step of loop `name`, under its own correlation id and marked busy, so that a
        graceful stop lets it finish instead of cutting it."""
        task = asyncio.current_task()
        assert task is not None
        self._in_step.add(task)
        try:
            with logs.correlated():
                return await self._riding_out_partners(name, step)
        finally:
            self._in_step.discard(task)

    async def halt(self, grace_s: float) -> None:
        """Stop the loops: idle ones at once, busy ones after their current step."""
        self.stopping = True
        busy = [task for task in self._tasks if task in self._in_step]
        for task in self._tasks:
            if task not in self._in_step:
                task.cancel()
        if busy:
            _, cut = await asyncio.wait(busy, timeout=grace_s)
            if cut:
                log.warning("bridge.steps_cut_at_shutdown", count=len(cut))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _supervise(self, name: str, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        state = self.loops[name]
        while not self.stopping:
            try:
                await loop()
                return  # a loop that returns has finished its work (or the process stops)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._failed(state, error)
            state.restarts += 1
            restart = Backoff(self.restart_base_s, RESTART_MAX_S)
            await asyncio.sleep(restart.delay(state.restarts, self.rng))

    def _failed(self, state: LoopState, error: Exception) -> None:
        state.last_error = _one_line(error)
        if state.failing:
            return  # the same incident: logged when it began
        state.failing = True
        log.exception("loop.failed", loop=state.name, error=state.last_error)

    async def _riding_out_partners(self, name: str, step: Callable[[], Awaitable[int]]) -> int:
        state = self.loops.get(name)
        try:
            done = await step()
        except PARTNER_FAILURES as error:
            if state is None or not state.partner_failing:
                log.warning("flow.partner_failed", loop=name, error=_one_line(error))
            if state is not None:
                state.partner_failing = True
            await asyncio.sleep(PARTNER_PAUSE_S)
            return 0
        if state is not None and state.partner_failing:
            state.partner_failing = False
            log.info("flow.partner_back", loop=name)
        return done


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".splitlines()[0][:300]
