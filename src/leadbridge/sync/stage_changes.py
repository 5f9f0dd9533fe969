"""Stage changes from amoCRM → the status log and the Avito statuses they imply.

Webhook bodies wait in the inbox; this flow logs each change once (append-only) and, in the same
transaction, queues the statuses `plan_statuses` derives from it. A webhook only says "status
changed"; for a deal closed as lost the loss reason is read back from the API.

No event blocks the ones behind it: a body that cannot be parsed is quarantined at once; one
whose processing fails (other than by a partner's or the database's passing trouble, which stops
the step for all) is tried again with backoff and quarantined after `inbox.max_tries` failures,
while the events behind it go on.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import structlog

from leadbridge.amocrm.answers import Deal, StatusEvent
from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.events import change_from_event, in_amocrm_order
from leadbridge.amocrm.webhook import LeadStatusChange, WebhookFormatError, parse_webhook
from leadbridge.config import InboxSettings
from leadbridge.domain.funnel import Funnel
from leadbridge.domain.retry import Backoff
from leadbridge.domain.status_path import plan_statuses
from leadbridge.store import inbox, leads, outbox, status_log
from leadbridge.store.database import Database
from leadbridge.store.tables import InboxEvent, StatusChange
from leadbridge.sync import quarantine
from leadbridge.sync.crm_layout import CrmLayout
from leadbridge.sync.wakeups import OUTBOX, Wakeups

log = structlog.get_logger(__name__)
INBOX_BATCH = 100
UNKNOWN_DEAL_RETRY = timedelta(seconds=1)
UNKNOWN_DEAL_PATIENCE = timedelta(minutes=10)


class Disposition(StrEnum):
    """What the flow did with one stage change. Not the plan's `Verdict` (`domain/status_path`),
    which says what the change means for Avito and is what `status_log.verdict` stores."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    GAP = "gap"  # does not continue the history we know: read the events API
    NOT_OURS = "not_ours"  # another pipeline, or a stage the funnel does not have
    UNKNOWN_DEAL = "unknown_deal"


@dataclass
class Replayed:
    applied: int = 0
    gaps: set[int] = field(default_factory=set)  # deals whose history still has a hole


class StageChanges:
    def __init__(
        self,
        *,
        db: Database,
        api: AmoApi,
        funnel: Funnel,
        layout: CrmLayout,
        wakeups: Wakeups,
        settings: InboxSettings | None = None,
    ) -> None:
        self._db, self._api, self._funnel, self._layout = db, api, funnel, layout
        self._wakeups = wakeups
        self._settings = settings or InboxSettings()
        self._rng = random.Random()

    async def run_once(self) -> int:
        """Process waiting webhook bodies; returns how many inbox events were settled."""
        now = datetime.now(UTC)
        async with self._db.transaction() as session:
            events = list(await inbox.unprocessed(session, "amocrm", INBOX_BATCH, now))
        settled = 0
        for event in events:
            settled += await self._settle(event, now)
        if events:
            self._wakeups.notify(OUTBOX)
        return settled

    async def _settle(self, event: InboxEvent, now: datetime) -> bool:
        """Process one event; False when it is to be looked at again later."""
        try:
            changes = parse_webhook(event.body).status_changes
        except WebhookFormatError as exc:
            # Malformed: it would fail the same way every time, so no retries.
            await self._quarantine(event, f"тело не разбирается: {exc}")
            return True
        try:
            dispositions = [await self.handle(change) for change in changes]
        except Exception as exc:
            if quarantine.is_passing(exc):
                raise  # the whole step waits for the partner or the database, not this event
            return await self._failed(event, exc)
        if (
            Disposition.UNKNOWN_DEAL in dispositions
            and now - event.received_at < UNKNOWN_DEAL_PATIENCE
        ):
            # The deal may be ours and its id not stored yet (a manager was faster than the
            # batcher's commit): look again shortly.
            async with self._db.transaction() as session:
                await inbox.retry_later(session, event.id, now + UNKNOWN_DEAL_RETRY)
            return False
        error = None
        if Disposition.UNKNOWN_DEAL in dispositions:
            error = "a change of a deal leadbridge does not know"
        async with self._db.transaction() as session:
            await inbox.mark_processed(session, event.id, datetime.now(UTC), error)
        return True

    async def _failed(self, event: InboxEvent, exc: Exception) -> bool:
        """One failed try: again after a growing pause, quarantined once tries run out."""
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        tries = event.attempts + 1
        log.warning("stage.event_failed", event_id=event.id, tries=tries, error=error, exc_info=exc)
        if tries >= self._settings.max_tries:
            await self._quarantine(event, f"не обработано за {tries} попыток: {error}")
            return True
        delay = Backoff(self._settings.retry_base_s, self._settings.retry_max_s).delay(
            tries, self._rng
        )
        now = datetime.now(UTC)
        async with self._db.transaction() as session:
            await inbox.failed(session, event.id, error, now + timedelta(seconds=delay))
        return False

    async def _quarantine(self, event: InboxEvent, reason: str) -> None:
        async with self._db.transaction() as session:
            await inbox.quarantine(session, event.id, reason, datetime.now(UTC))
        quarantine.counted("amocrm", reason, event.id)

    async def handle(self, change: LeadStatusChange) -> Disposition:
        """A change from a webhook. If it does not continue the deal's history as we know it —
        a webhook was lost, or two arrived out of order — the deal's history is read from the
        events API, whose order is authoritative, and replayed."""
        if change.modified_at is None:
            return await self._untimed(change)
        disposition = await self.apply(change, source="webhook")
        if disposition is Disposition.GAP:
            await self.resync(change.amo_lead_id)
        return disposition

    async def _untimed(self, change: LeadStatusChange) -> Disposition:
        """A change without `last_modified` has no key of its own: a deal moved A→B, back to A
        and to B again sends the same body twice, and so does amoCRM redelivering the first.
        It is taken from the deal's events instead, each with its time — the keys the catch-up
        gives the same changes — so three moves log three rows, a redelivery none."""
        if self._stage_of(change) is None:
            return Disposition.NOT_OURS
        async with self._db.transaction() as session:
            if await leads.by_amo_lead_id(session, change.amo_lead_id) is None:
                return Disposition.UNKNOWN_DEAL
        # Nothing new: a redelivery, or an event amoCRM lists only later (the catch-up's).
        applied = await self.resync(change.amo_lead_id)
        return Disposition.APPLIED if applied else Disposition.DUPLICATE

    async def resync(self, amo_lead_id: int) -> int:
        """Replay the deal's status events in order; returns how many were new to us."""
        replayed = await self.apply_events(await self._api.lead_status_events(amo_lead_id))
        log.info("stage.resynced", amo_lead_id=amo_lead_id, applied=replayed.applied)
        return replayed.applied

    async def apply_events(self, events: Iterable[StatusEvent]) -> Replayed:
        """Apply listed status events in amoCRM's order, the ones not logged yet only.

        Events carry no price: the deals concerned are read in one request per 250, after the
        events were listed, so the price read is at least as new as every change it prices."""
        changes = [
            change
            for event in in_amocrm_order(events)
            if (change := change_from_event(event, price=None))
        ]
        async with self._db.transaction() as session:
            logged = await status_log.logged_keys(session, map(change_key, changes))
        new = [change for change in changes if change_key(change) not in logged]
        deals = await self._api.deals({change.amo_lead_id for change in new}) if new else {}
        replayed = Replayed()
        for change in new:
            disposition = await self.apply(change, source="events", deals=deals)
            if disposition is Disposition.APPLIED:
                replayed.applied += 1
            elif disposition is Disposition.GAP:
                replayed.gaps.add(change.amo_lead_id)
        return replayed

    async def apply(
        self,
        change: LeadStatusChange,
        *,
        source: str,
        deals: Mapping[int, Deal] | None = None,
    ) -> Disposition:
        """Log one change that continues the deal's history and queue what it implies.

        `deals`: the deals as read after this change was listed. A change without a price (an
        event) or closing the deal as lost needs the deal; without `deals` it is read here."""
        stage_key = self._stage_of(change)
        if stage_key is None:
            return Disposition.NOT_OURS
        deal: Deal | None = None
        if self._funnel.stage(stage_key).lost or change.price is None:
            if deals is not None:
                deal = deals.get(change.amo_lead_id)
            elif await self._logged(change):
                return (
                    Disposition.DUPLICATE
                )  # spare the API read below for a change we already have
            else:
                deal = await self._api.lead(change.amo_lead_id)
        loss_reason = self._layout.loss_reason_name(deal.loss_reason_id) if deal else None
        if change.price is None and deal:
            # Events carry no price; the deal's current one is the best we know.
            change = replace(change, price=deal.price or 0)
        now = datetime.now(UTC)
        occurred = datetime.fromtimestamp(change.modified_at, UTC) if change.modified_at else now
        async with self._db.transaction() as session:
            lead = await leads.by_amo_lead_id(session, change.amo_lead_id, lock=True)
            if lead is None:
                return Disposition.UNKNOWN_DEAL
            if await status_log.has_change(session, change_key(change)):
                return Disposition.DUPLICATE
            known = self._layout.status_ids.get(lead.stage_key or "")
            if change.old_status_id is not None and change.old_status_id != known:
                return Disposition.GAP
            price = change.price * 100 if change.price else lead.buyout_price_kopecks
            plan = plan_statuses(
                self._funnel,
                last_status=lead.avito_status,
                stage_key=stage_key,
                price_kopecks=price,
                loss_reason=loss_reason,
            )
            await status_log.append(
                session,
                StatusChange(
                    lead_id=lead.id,
                    change_key=change_key(change),
                    old_status_id=change.old_status_id,
                    new_status_id=change.status_id,
                    pipeline_id=change.pipeline_id,
                    stage_key=stage_key,
                    price_kopecks=price,
                    loss_reason=loss_reason,
                    verdict=plan.verdict.value,
                    source=source,
                    occurred_at=occurred,
                    recorded_at=now,
                ),
            )
            lead.stage_key = stage_key
            lead.updated_at = now
            await outbox.enqueue_plan(session, lead, plan, occurred_at=occurred, now=now)
        log.info("stage.changed", lead_id=lead.id, stage=stage_key, verdict=plan.verdict.value)
        return Disposition.APPLIED

    def _stage_of(self, change: LeadStatusChange) -> str | None:
        """The funnel stage the change enters; None for another pipeline or a stage not ours."""
        if change.pipeline_id not in (None, self._layout.pipeline_id):
            return None
        return self._layout.stage_of(change.status_id)

    async def _logged(self, change: LeadStatusChange) -> bool:
        async with self._db.transaction() as session:
            return await status_log.has_change(session, change_key(change))


def change_key(change: LeadStatusChange) -> str:
    """The same change seen twice (a retried webhook, and its event) gets the same key. Its
    time tells repeated moves apart: a webhook change without one is logged from its events."""
    return f"{change.amo_lead_id}:{change.old_status_id}>{change.status_id}@{change.modified_at}"
