"""The bridge at run time: wires adapters, store and flows, and runs each flow as a loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from leadbridge import logs
from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.client import AmoApiError
from leadbridge.amocrm.connect import connect
from leadbridge.avito.client import AvitoClient, shared_limiters
from leadbridge.config import ConfigurationError, Settings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.crm_layout import CrmLayout
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.election import Election, SoleLeader, election_for
from leadbridge.sync.events_catchup import EventsCatchUp
from leadbridge.sync.intake import pull_feed_once
from leadbridge.sync.provisioning import provision
from leadbridge.sync.reconciler import Reconciler
from leadbridge.sync.relay import Relay
from leadbridge.sync.stage_changes import StageChanges
from leadbridge.sync.wakeups import DEALS, OUTBOX, STAGE_CHANGES, LocalWakeups, Wakeups, wakeups_for

log = structlog.get_logger(__name__)
ERROR_PAUSE_S = 2.0
# Failures of a partner's API (down, refusing, timing out), told apart from our own bugs.
PARTNER_FAILURES = (httpx.TransportError, httpx.HTTPStatusError, AmoApiError)


@dataclass
class Bridge:
    settings: Settings
    db: Database
    avito: AvitoClient
    amo: AmoApi
    wakeups: Wakeups = field(default_factory=LocalWakeups)
    election: Election = field(default_factory=SoleLeader)
    layout: CrmLayout | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _in_step: set[asyncio.Task[Any]] = field(default_factory=set)
    _stopping: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Bridge:
        db = Database(settings.database_url)
        return cls(
            settings=settings,
            db=db,
            avito=AvitoClient(settings.avito, limiters=shared_limiters(db, settings.avito)),
            amo=connect(settings.amocrm, db),
            wakeups=wakeups_for(db),
            election=election_for(db),
        )

    async def prepare(self) -> None:
        """Migrate, authorise, provision amoCRM, subscribe. Sends a dead process left behind
        need nothing here: their leases run out and any worker takes them (store/outbox.py)."""
        await asyncio.to_thread(upgrade, self.settings.database_url)
        await self.amo.client.tokens.bootstrap()
        amo_hook = self._webhook_url("amocrm")
        # Several workers starting at once would each create the pipeline: one at a time, the
        # later ones find what the first made.
        async with self.election.exclusive("provision"):
            self.layout = await provision(self.db, self.amo, self.settings.funnel, amo_hook)
        avito_hook = self._webhook_url("avito")
        if avito_hook:
            secret = self.settings.avito.webhook_secret.get_secret_value()
            if not secret:
                raise ConfigurationError(
                    "avito.webhook_secret must be set to receive Avito webhooks (web.public_url)"
                )
            await self.avito.register_webhook(avito_hook, secret)

    def start(self) -> None:
        assert self.layout is not None, "prepare() first"
        funnel, settings = self.settings.funnel, self.settings
        batcher = DealBatcher(
            db=self.db,
            api=self.amo,
            funnel=funnel,
            layout=self.layout,
            wakeups=self.wakeups,
            batch_size=settings.amocrm.complex_batch_size,
            attempt_settle_s=settings.amocrm.timeout_s,
        )
        changes = StageChanges(
            db=self.db, api=self.amo, funnel=funnel, layout=self.layout, wakeups=self.wakeups
        )
        self.relay = Relay(
            db=self.db,
            avito=self.avito,
            settings=settings.relay,
            batch_size=settings.avito.status_batch_size,
            chain=funnel.statuses.chain,
        )
        idle = settings.relay.idle_poll_s
        self.catch_up = EventsCatchUp(
            db=self.db,
            api=self.amo,
            changes=changes,
            webhook_url=self._webhook_url("amocrm"),
            window_s=settings.amocrm.events_window_s,
        )
        self._spawn("deals", self._drain(batcher.run_once, DEALS, idle, job="amocrm_deals"))
        self._spawn("stage_changes", self._drain(changes.run_once, STAGE_CHANGES, idle))
        self._spawn("relay", self._relay_loop(idle))
        self._spawn("feed", self._feed_loop())
        self._spawn(
            "events",
            self._every(
                settings.amocrm.events_poll_interval_s, self.catch_up.run_once, "amocrm_events"
            ),
        )
        # Reconciliation (sync/reconciler.py): drift between amoCRM, our records and Avito.
        reconciler = Reconciler(
            db=self.db, api=self.amo, avito=self.avito, funnel=funnel, layout=self.layout,
            changes=changes, settings=settings.reconcile, wakeups=self.wakeups,
        )  # fmt: skip
        self._spawn("reconcile", reconciler.every(settings.reconcile.interval_s))

    def webhook_url(self, source: str) -> str | None:
        """Where `source` must send its webhooks; None without a public URL."""
        return self._webhook_url(source)

    async def stop(self, grace_s: float | None = None) -> None:
        """Stop claiming; a step in flight (a batch being sent) may finish within `grace_s`
        (default: the `process.shutdown_grace_s` setting), the rest is cut off."""
        await self.halt(self.settings.process.shutdown_grace_s if grace_s is None else grace_s)
        await self.election.aclose()
        await self.wakeups.aclose()
        await self.avito.aclose()
        await self.amo.client.http.aclose()
        await self.db.dispose()

    def _webhook_url(self, source: str) -> str | None:
        web = self.settings.web
        if not web.public_url:
            return None
        token = web.webhook_token.get_secret_value()
        return f"{web.public_url.rstrip('/')}/webhooks/{source}/{token}"

    async def halt(self, grace_s: float) -> None:
        """Stop the flows: idle loops at once, busy ones after their current step."""
        self._stopping = True
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

    def _spawn(self, name: str, loop: Coroutine[Any, Any, None]) -> None:
        self._tasks.append(asyncio.create_task(loop, name=name))

    async def _step(self, step: Callable[[], Awaitable[int]]) -> int:
        """One step, marked busy so that a graceful stop lets it finish instead of cutting it."""
        task = asyncio.current_task()
        assert task is not None
        self._in_step.add(task)
        try:
            return await _guarded(step)
        finally:
            self._in_step.discard(task)

    async def _drain(
        self, step: Callable[[], Awaitable[int]], topic: str, idle: float, job: str | None = None
    ) -> None:
        """Run `step` while it has work, then wait for `topic`; with a `job`, only in the
        process elected for it."""
        while not self._stopping:
            if job is not None and not await self.election.is_leader(job):
                await self.wakeups.wait(topic, idle)
                continue
            if await self._step(step) == 0 and not self._stopping:
                await self.wakeups.wait(topic, idle)

    async def _relay_loop(self, idle: float) -> None:
        while not self._stopping:
            if await self._step(self.relay.run_once) == 0 and not self._stopping:
                due = await self.relay.seconds_until_due()
                await self.wakeups.wait(OUTBOX, min(idle, due) if due is not None else idle)

    async def _feed_loop(self) -> None:
        await self._every(
            self.settings.avito.feed_poll_interval_s,
            lambda: pull_feed_once(self.db, self.avito, self.wakeups),
            "avito_feed",
        )

    async def _every(self, seconds: float, step: Callable[[], Awaitable[int]], job: str) -> None:
        """A periodic job: only its elected process runs it; the others ask again each round."""
        while not self._stopping:
            if await self.election.is_leader(job):
                await self._step(step)
            if not self._stopping:
                await asyncio.sleep(seconds)


async def _guarded(step: Callable[[], Awaitable[int]]) -> int:
    """One step of a flow, under its own correlation id; an error is logged and retried after a
    pause, never fatal."""
    with logs.correlated():
        try:
            return await step()
        except asyncio.CancelledError:
            raise
        except PARTNER_FAILURES as exc:
            # A partner down or refusing is theirs to fix and ours to ride out: one line, no stack.
            log.warning("flow.step_failed", error=f"{type(exc).__name__}: {exc}".splitlines()[0])
            await asyncio.sleep(ERROR_PAUSE_S)
            return 0
        except Exception:
            log.exception("flow.step_failed")
            await asyncio.sleep(ERROR_PAUSE_S)
            return 0
