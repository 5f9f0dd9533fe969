"""A reconciliation run started from the dashboard: in the background, one at a time.

A run lists the whole amoCRM pipeline through the shared limiter (about a minute per 100,000
deals), far longer than a page should wait, so the button starts it as a task of the process
and answers at once; the page shows the run once it is recorded. A second press while a run is
going is refused rather than queued: two runs would only spend the request budget twice.
The run is the one `leadbridge reconcile` does, with its own connections, closed at its end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from leadbridge.config import Settings
from leadbridge.sync.reconcile_command import reconcile

log = structlog.get_logger(__name__)
RunFn = Callable[[bool], Awaitable[list[str]]]


@dataclass
class Launch:
    started_at: datetime
    fix: bool
    by: str
    finished_at: datetime | None = None
    error: str | None = None  # one line: the run failed before it was recorded in full


class AlreadyRunning(RuntimeError):
    """A run started from the dashboard has not finished yet."""


class ReconcileLauncher:
    def __init__(self, run: RunFn) -> None:
        self._run = run
        self._task: asyncio.Task[None] | None = None
        self.last: Launch | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> ReconcileLauncher:
        async def run(fix: bool) -> list[str]:
            return await reconcile(settings, fix=fix)

        return cls(run)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, *, fix: bool, by: str) -> Launch:
        if self.running:
            raise AlreadyRunning("a reconciliation run is still going")
        self.last = launch = Launch(datetime.now(UTC), fix, by)
        # The reference is kept: a task nobody holds may be collected mid-run.
        self._task = asyncio.create_task(self._go(launch))
        return launch

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _go(self, launch: Launch) -> None:
        try:
            await self._run(launch.fix)
        except Exception as error:  # the page shows it; the next press may try again
            launch.error = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            log.exception("reconcile.dashboard_run_failed", fix=launch.fix)
        finally:
            launch.finished_at = datetime.now(UTC)
