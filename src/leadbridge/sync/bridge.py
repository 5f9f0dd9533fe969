"""The bridge at run time: wires adapters, store and flows, and runs each flow as a loop under
the supervisor (sync/supervisor.py): no fault stops a flow for good."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import structlog
from sqlalchemy.exc import SQLAlchemyError

from leadbridge.alerts.assembly import alert_engine
from leadbridge.alerts.engine import AlertEngine
from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.connect import connect
from leadbridge.avito.client import AvitoClient
from leadbridge.config import ConfigurationError, Settings
from leadbridge.store import heartbeats
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.amocrm_account import remember_account, token_account
from leadbridge.sync.avito_changes import AvitoChanges
from leadbridge.sync.avito_limiters import shared_limiters
from leadbridge.sync.change_effects import ChangeEffects
from leadbridge.sync.crm_layout import CrmLayout
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.deal_tasks import DealTasks
from leadbridge.sync.election import Election, SoleLeader, election_for
from leadbridge.sync.events_catchup import EventsCatchUp
from leadbridge.sync.intake import pull_feed_once
from leadbridge.sync.privacy import Purge
from leadbridge.sync.provisioning import provision
from leadbridge.sync.reconciler import Reconciler
from leadbridge.sync.relay import Relay
from leadbridge.sync.routing import Router, check_users, routing_of
from leadbridge.sync.stage_changes import StageChanges
from leadbridge.sync.supervisor import Supervisor
from leadbridge.sync.wakeups import (
    AVITO_CHANGES,
    DEALS,
    OUTBOX,
    STAGE_CHANGES,
    LocalWakeups,
    Wakeups,
    wakeups_for,
)

log = structlog.get_logger(__name__)
HEARTBEAT_S = 5.0  # how often a process writes what its loops last did


@dataclass
class Bridge:
    settings: Settings
    db: Database
    avito: AvitoClient
    amo: AmoApi
    wakeups: Wakeups = field(default_factory=LocalWakeups)
    election: Election = field(default_factory=SoleLeader)
    layout: CrmLayout | None = None
    supervisor: Supervisor = field(default_factory=lambda: Supervisor(role="run"))
    alerts: AlertEngine | None = None

    @classmethod
    def from_settings(cls, settings: Settings, role: str = "run") -> Bridge:
        db = Database(settings.database_url)
        return cls(
            settings=settings,
            db=db,
            avito=AvitoClient(settings.avito, limiters=shared_limiters(db, settings.avito)),
            amo=connect(settings.amocrm, db),
            wakeups=wakeups_for(db),
            election=election_for(db),
            supervisor=Supervisor(role=role),
        )

    async def prepare(self) -> None:
        """Migrate, authorise, provision amoCRM, subscribe. Sends a dead process left behind
        need nothing here: their leases run out and any worker takes them (store/outbox.py)."""
        await asyncio.to_thread(upgrade, self.settings.database_url)
        amo_hook = self._webhook_url("amocrm")
        # Several workers starting at once would each exchange the one-time authorization code
        # (all but the first refused) and create the pipeline: one at a time, the later ones
        # find the token and the pipeline the first made.
        async with self.election.exclusive("provision"):
            await self.amo.bootstrap()
            # The account whose webhooks are ours, recorded as `setup` does: from then on a
            # webhook of another account is refused even with `amocrm.account_id` unset.
            account = await token_account(self.settings, self.amo)
            await remember_account(self.db, account, dry_run=False)
            self.layout = await provision(self.db, self.amo, self.settings.funnel, amo_hook)
        await check_users(routing_of(self.settings), self.amo)
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
        router = Router(routing_of(settings), funnel.statuses.terminal)
        tasks = DealTasks(
            db=self.db, api=self.amo, router=router, attempt_settle_s=settings.amocrm.timeout_s
        )
        batcher = DealBatcher(
            db=self.db,
            api=self.amo,
            funnel=funnel,
            layout=self.layout,
            wakeups=self.wakeups,
            batch_size=settings.amocrm.complex_batch_size,
            attempt_settle_s=settings.amocrm.timeout_s,
            router=router,
            tasks=tasks,
            repeat_window_days=settings.amocrm.repeat_window_days,
        )
        changes = StageChanges(
            db=self.db,
            api=self.amo,
            funnel=funnel,
            layout=self.layout,
            wakeups=self.wakeups,
            settings=settings.inbox,
        )
        self.relay = Relay(
            db=self.db,
            avito=self.avito,
            settings=settings.relay,
            batch_size=settings.avito.status_batch_size,
            chain=funnel.statuses.chain,
            terminal=funnel.statuses.terminal,
        )
        idle = settings.relay.idle_poll_s
        self.catch_up = EventsCatchUp(
            db=self.db,
            api=self.amo,
            changes=changes,
            webhook_url=self._webhook_url("amocrm"),
            window_s=settings.amocrm.events_window_s,
        )
        # Reconciliation (sync/reconciler.py): drift between amoCRM, our records and Avito.
        reconciler = Reconciler(
            db=self.db, api=self.amo, avito=self.avito, funnel=funnel, layout=self.layout,
            changes=changes, settings=settings.reconcile, wakeups=self.wakeups,
        )  # fmt: skip
        # A seller's edits and withdrawals on Avito (sync/avito_changes.py): elected, since the
        # notes and tasks it adds in amoCRM carry no idempotency key.
        seller_changes = AvitoChanges(
            db=self.db,
            funnel=funnel,
            effects=ChangeEffects(
                db=self.db,
                api=self.amo,
                funnel=funnel,
                layout=self.layout,
                attempt_settle_s=settings.amocrm.timeout_s,
            ),
            wakeups=self.wakeups,
            on_withdrawal=settings.avito.on_withdrawal,
            settings=settings.inbox,
        )
        feed = partial(pull_feed_once, self.db, self.avito, self.wakeups)
        self.spawn_drain("deals", batcher.run_once, DEALS, idle, job="amocrm_deals")
        self.spawn_drain("stage_changes", changes.run_once, STAGE_CHANGES, idle)
        self.spawn_drain(
            "avito_changes", seller_changes.run_once, AVITO_CHANGES, idle, job="avito_changes"
        )
        self.supervisor.spawn("relay", idle, partial(self._relay_loop, idle))
        self._spawn_every("feed", settings.avito.feed_poll_interval_s, feed, "avito_feed")
        events_s = settings.amocrm.events_poll_interval_s
        self._spawn_every("events", events_s, self.catch_up.run_once, "amocrm_events")
        # Not at start, while the flows catch up: after each interval.
        reconcile_s = settings.reconcile.interval_s
        self._spawn_every("reconcile", reconcile_s, reconciler.run_once, "reconcile", reconcile_s)
        if settings.alerts.enabled:
            # The alert rules (alerts/engine.py): one elected process evaluates them.
            self.alerts = alert_engine(settings, self.db, self.amo, self._webhook_url("amocrm"))
            alerts_s = settings.alerts.interval_s
            self._spawn_every("alerts", alerts_s, self.alerts.run_once, "alerts")
        # Retention (sync/privacy.py): daily, first a few minutes after start (not while the
        # flows catch up), so that restarts more often than daily do not keep postponing it.
        purge, purge_s = Purge.for_settings(self.db, settings), settings.privacy.purge_interval_s
        self._spawn_every("privacy", purge_s, purge.run_once, "privacy", min(purge_s, 600.0))
        self.supervisor.spawn("heartbeats", HEARTBEAT_S, self._heartbeats)

    def spawn_drain(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        topic: str,
        idle: float,
        job: str | None = None,
    ) -> None:
        """Loop `name`: `step` while it has work, then a wait for `topic` of at most `idle`."""
        self.supervisor.spawn(name, idle, partial(self._drain, name, step, topic, idle, job))

    def _spawn_every(
        self,
        name: str,
        seconds: float,
        step: Callable[[], Awaitable[int]],
        job: str,
        first_after_s: float = 0.0,
    ) -> None:
        loop = partial(self._every, name, seconds, step, job, first_after_s)
        self.supervisor.spawn(name, seconds, loop)

    def webhook_url(self, source: str) -> str | None:
        """Where `source` must send its webhooks; None without a public URL."""
        return self._webhook_url(source)

    async def stop(self, grace_s: float | None = None) -> None:
        """Stop claiming; a step in flight (a batch being sent) may finish within `grace_s`
        (default: the `process.shutdown_grace_s` setting), the rest is cut off."""
        await self.halt(self.settings.process.shutdown_grace_s if grace_s is None else grace_s)
        await self.election.aclose()
        if self.alerts is not None:
            await self.alerts.aclose()
        await self.wakeups.aclose()
        await self.avito.aclose()
        await self.amo.aclose()
        await self.db.dispose()

    def _webhook_url(self, source: str) -> str | None:
        web = self.settings.web
        if not web.public_url:
            return None
        token = web.webhook_token.get_secret_value()
        return f"{web.public_url.rstrip('/')}/webhooks/{source}/{token}"

    async def halt(self, grace_s: float) -> None:
        """Stop the flows: idle loops at once, busy ones after their current step."""
        await self.supervisor.halt(grace_s)
        with contextlib.suppress(SQLAlchemyError, OSError):  # a gone database keeps stale rows
            async with self.db.transaction() as session:
                await heartbeats.remove(session, self.supervisor.process)

    async def _drain(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        topic: str,
        idle: float,
        job: str | None,
    ) -> None:
        """With a `job`, only the process elected for it runs `step`; every process passes."""
        loops = self.supervisor
        while not loops.stopping:
            leading = job is None or await self.election.is_leader(job)
            if (not leading or await loops.step(name, step) == 0) and not loops.stopping:
                await self.wakeups.wait(topic, idle)
            loops.passed(name)

    async def _relay_loop(self, idle: float) -> None:
        loops = self.supervisor
        while not loops.stopping:
            if await loops.step("relay", self.relay.run_once) == 0 and not loops.stopping:
                due = await self.relay.seconds_until_due()
                await self.wakeups.wait(OUTBOX, min(idle, due) if due is not None else idle)
            loops.passed("relay")

    async def _every(
        self,
        name: str,
        seconds: float,
        step: Callable[[], Awaitable[int]],
        job: str,
        first_after_s: float,
    ) -> None:
        """A periodic job: only its elected process runs it; the others ask again each round."""
        loops = self.supervisor
        await asyncio.sleep(first_after_s)
        while not loops.stopping:
            if await self.election.is_leader(job):
                await loops.step(name, step)
            loops.passed(name)
            if not loops.stopping:
                await asyncio.sleep(seconds)

    async def _heartbeats(self) -> None:
        """Write what every loop of this process last did, for the health of every process."""
        loops = self.supervisor
        while not loops.stopping:
            async with self.db.transaction() as session:
                await heartbeats.write(session, loops.process, loops.records(), datetime.now(UTC))
            loops.passed("heartbeats")
            await asyncio.sleep(HEARTBEAT_S)
