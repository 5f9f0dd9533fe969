"""A seller's changes on Avito → the lead, its queued statuses and (through `change_effects`) its
deal in amoCRM.

Intake keeps each change raw in the inbox (`change:<Avito's change id>`, the same by webhook and
feed: one change is applied once). This flow reads each again, in arrival order, and applies it
to its lead in one transaction, which also records what the deal is to get (`seller_changes`)
and marks the event processed:

- an edit (`lead.updated`): the fields we keep that differ (`domain/seller_changes.py`) are
  taken by the lead; the deal gets its fields again and a note listing what changed. An edit
  older than one applied already, one changing nothing we keep, or one after the withdrawal is
  only marked processed;
- a withdrawal (`lead.withdrawn`): the lead's queued statuses are given up — skipped, audited
  as the actor `avito`, never parked — and its Avito status becomes the cancellation Avito
  shows, so that no later move of the deal queues another; the deal gets a note and, by
  `avito.on_withdrawal`, is closed as lost or keeps an urgent task.

A change waits, without counting as a failure, until its lead's deal exists: the deal is
created as usual and then changed, so that a withdrawal arriving before its deal leaves the
deal closed (or tasked) like any other. A change of a lead we never got waits ten minutes (the
feed may bring the lead) and is then quarantined. What cannot be read is quarantined at once;
a failure of our own is retried with backoff and quarantined after `inbox.max_tries`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.avito.changes import AvitoChange, stored_change
from leadbridge.avito.envelope import ChangeKind
from leadbridge.avito.payload import PayloadError
from leadbridge.config import InboxSettings
from leadbridge.domain.funnel import LOST_STATUS_ID, WON_STATUS_ID, Funnel
from leadbridge.domain.retry import Backoff
from leadbridge.domain.seller_changes import (
    SKIP_REASON,
    OnWithdrawal,
    changes_between,
    update_note,
    withdrawal_action,
    withdrawal_note,
)
from leadbridge.store import inbox, operator_actions, seller_changes
from leadbridge.store.database import Database
from leadbridge.store.leads import CREATED
from leadbridge.store.seller_changes import UPDATED, WITHDRAWN
from leadbridge.store.tables import InboxEvent, Lead, SellerChange
from leadbridge.sync import quarantine
from leadbridge.sync.change_effects import ChangeEffects
from leadbridge.sync.wakeups import OUTBOX, Wakeups

log = structlog.get_logger(__name__)
BATCH = 100
DEAL_WAIT_S = 2.0  # the deal batcher makes deals within seconds
UNKNOWN_LEAD_RETRY = timedelta(seconds=5)
UNKNOWN_LEAD_PATIENCE = timedelta(minutes=10)


class AvitoChanges:
    def __init__(
        self,
        *,
        db: Database,
        funnel: Funnel,
        effects: ChangeEffects,
        wakeups: Wakeups,
        on_withdrawal: OnWithdrawal = OnWithdrawal.CLOSE_LOST,
        settings: InboxSettings | None = None,
        deal_wait_s: float = DEAL_WAIT_S,
    ) -> None:
        self._db, self._funnel, self._effects = db, funnel, effects
        self._deal_wait = timedelta(seconds=deal_wait_s)
        self._wakeups, self._on_withdrawal = wakeups, on_withdrawal
        self._settings = settings or InboxSettings()
        self._rng = random.Random()
        # The stages in which a deal is closed already: amoCRM's fixed won and lost.
        self._closed = frozenset(
            stage.key
            for stage in funnel.stages
            if stage.lost or stage.amocrm_status_id in (WON_STATUS_ID, LOST_STATUS_ID)
        )

    async def run_once(self) -> int:
        """Apply waiting changes, then carry recorded ones to amoCRM; how much was done."""
        return await self.apply_waiting() + await self._effects.run_once()

    async def apply_waiting(self) -> int:
        now = _now()
        async with self._db.transaction() as session:
            events = list(await seller_changes.waiting_events(session, BATCH, now))
        settled = 0
        for event in events:
            settled += await self._settle(event)
        return settled

    async def _settle(self, event: InboxEvent) -> bool:
        """Apply one change; False when it waits to be looked at again."""
        try:
            change = stored_change(event.body, in_feed=event.channel == "feed")
        except PayloadError as error:
            await self._quarantine(event, f"изменение заявки не читается: {error}")
            return True
        try:
            return await self._apply(event, change)
        except Exception as exc:
            if quarantine.is_passing(exc):
                raise  # the whole step waits for the database, not this event
            return await self._failed(event, exc)

    async def _apply(self, event: InboxEvent, change: AvitoChange) -> bool:
        now = _now()
        async with self._db.transaction() as session:
            lead = await seller_changes.lead_for_update(session, change.request.avito_lead_id)
            if lead is None:
                if now - _aware(event.received_at) < UNKNOWN_LEAD_PATIENCE:
                    await inbox.retry_later(session, event.id, now + UNKNOWN_LEAD_RETRY)
                    return False
                reason = "изменение заявки, которой у leadbridge нет"
                await inbox.quarantine(session, event.id, reason, now)
                quarantine.counted("avito", reason, event.id)
                return True
            if lead.deal_state != CREATED or lead.amo_lead_id is None:
                await inbox.retry_later(session, event.id, now + self._deal_wait)
                return False
            if await seller_changes.has_change(session, change.inbox_key):
                ignored: str | None = "applied before"
            elif change.kind is ChangeKind.UPDATED:
                ignored = await self._update(session, lead, change, now)
            else:
                ignored = await self._withdraw(session, lead, change, now)
            await inbox.mark_processed(session, event.id, now, ignored)
        log.info(
            "avito.change",
            lead_id=lead.id,
            kind=change.kind.value,
            applied=ignored is None,
            ignored=ignored,
        )
        if ignored is None and change.kind is ChangeKind.WITHDRAWN:
            self._wakeups.notify(OUTBOX)
        return True

    async def _update(
        self, session: AsyncSession, lead: Lead, change: AvitoChange, now: datetime
    ) -> str | None:
        """Take the seller's edit; why it was not taken, or None."""
        if await seller_changes.is_withdrawn(session, lead.id):
            return "an edit after the withdrawal"
        changed_at = change.changed_at or now
        latest = await seller_changes.latest_update_at(session, lead.id)
        if latest is not None and changed_at < _aware(latest):
            # Webhooks arrive out of order: an older edit would bring back older values.
            return "older than an edit applied already"
        new = seller_changes.request_fields(change.request)
        found = changes_between(seller_changes.kept_fields(lead), new)
        if not found:
            return "nothing leadbridge keeps changed"
        seller_changes.take_fields(lead, new, now)
        await seller_changes.record(
            session,
            _change(lead, change, UPDATED, changed_at, now, note=update_note(found)),
        )
        return None

    async def _withdraw(
        self, session: AsyncSession, lead: Lead, change: AvitoChange, now: datetime
    ) -> str | None:
        if await seller_changes.is_withdrawn(session, lead.id):
            return "withdrawn already"
        action = withdrawal_action(self._on_withdrawal, deal_closed=lead.stage_key in self._closed)
        skipped = await operator_actions.skip_withdrawn(session, lead.id, note=SKIP_REASON, now=now)
        # Avito shows the request cancelled: a later move of the deal plans nothing more for it
        # (`plan_statuses` after a terminal status), and routing no longer counts it as open.
        lead.avito_status = self._funnel.statuses.cancelled
        lead.updated_at = now
        recorded = _change(
            lead, change, WITHDRAWN, change.changed_at or now, now, note=withdrawal_note(action)
        )
        recorded.action, recorded.skipped_statuses = action.value, skipped
        await seller_changes.record(session, recorded)
        return None

    async def _failed(self, event: InboxEvent, exc: Exception) -> bool:
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        tries = event.attempts + 1
        log.warning("avito.change_failed", event_id=event.id, tries=tries, error=error)
        if tries >= self._settings.max_tries:
            await self._quarantine(event, f"не применено за {tries} попыток: {error}")
            return True
        delay = Backoff(self._settings.retry_base_s, self._settings.retry_max_s).delay(
            tries, self._rng
        )
        async with self._db.transaction() as session:
            await inbox.failed(session, event.id, error, _now() + timedelta(seconds=delay))
        return False

    async def _quarantine(self, event: InboxEvent, reason: str) -> None:
        async with self._db.transaction() as session:
            await inbox.quarantine(session, event.id, reason, _now())
        quarantine.counted("avito", reason, event.id)


def _change(
    lead: Lead, change: AvitoChange, kind: str, changed_at: datetime, now: datetime, *, note: str
) -> SellerChange:
    return SellerChange(
        lead_id=lead.id,
        change_key=change.inbox_key,
        kind=kind,
        changed_at=changed_at,
        recorded_at=now,
        note_text=note,
        skipped_statuses=0,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)
