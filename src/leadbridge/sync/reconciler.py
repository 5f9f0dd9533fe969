"""Reconciler: amoCRM's stages, our status log and outbox, and Avito's own statuses, compared.

amoCRM is read in full each run, as the pipeline's deal listing in pages of 250 through the
shared 7/s limiter: a run over 100,000 deals costs 400 requests, about a minute. Avito's status
read has its own per-method limit, so it is spent with care: a lead is read back only where our
records disagree (amoCRM's stage is not the one we logged, a status we queued is neither sent
nor waiting, or the stage implies a status we never queued), plus a random sample
(`read_sample_ratio`) of agreeing leads as a check, at most `max_reads` per run.

Repairs take the stage-change flow's own paths: a stage we missed is replayed from amoCRM's events
(`StageChanges.resync`, which logs it and queues what it implies), and statuses still missing
after that — an edited funnel mapping, say — are planned by `plan_statuses` and queued in the
outbox under the lead's row lock, as that flow does. Whatever queueing cannot fix is listed for
a person.

A run during a backlog finds statuses Avito lacks that are only on their way: queued or being
sent, or of a lead that changed within `in_flight_grace_s`. Those are recorded as «в пути»
(`IN_FLIGHT`), neither repaired nor counted as drift: the next run judges them again.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx
import structlog

from leadbridge.amocrm.answers import Deal
from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.client import AmoApiError
from leadbridge.avito.client import AvitoClient
from leadbridge.avito.results import UnreadableAnswer
from leadbridge.config import ReconcileSettings
from leadbridge.domain.funnel import Funnel
from leadbridge.domain.reconciliation import (
    CrmDeal,
    Drift,
    DriftKind,
    LeadFacts,
    classify,
    needs_read_back,
)
from leadbridge.domain.status_path import plan_statuses
from leadbridge.metrics import DRIFT
from leadbridge.ratelimit import SlidingWindowLimiter
from leadbridge.store import leads, outbox
from leadbridge.store import reconciliation as store
from leadbridge.store.database import Database
from leadbridge.store.drift_notes import note_drifts
from leadbridge.store.reconciliation import LeadRecord
from leadbridge.store.tables import ReconciliationItem
from leadbridge.sync.crm_layout import CrmLayout
from leadbridge.sync.stage_changes import StageChanges
from leadbridge.sync.wakeups import OUTBOX, Wakeups

log = structlog.get_logger(__name__)
CHUNK = 1000
QUEUED, REPAIRABLE, PERSON, IN_FLIGHT = "queued", "repairable", "person", "in_flight"


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: int
    leads_checked: int
    deals_listed: int
    crm_requests: int
    avito_reads: int


class Reconciler:
    def __init__(
        self,
        *,
        db: Database,
        api: AmoApi,
        avito: AvitoClient,
        funnel: Funnel,
        layout: CrmLayout,
        changes: StageChanges,
        settings: ReconcileSettings,
        wakeups: Wakeups,
        rng: random.Random | None = None,
    ) -> None:
        self._db, self._api, self._avito = db, api, avito
        self._funnel, self._layout, self._changes = funnel, layout, changes
        self._settings, self._wakeups = settings, wakeups
        self._rng = rng or random.Random()
        self._reads_limiter = SlidingWindowLimiter.per_second(settings.status_read_rps)
        self._reads = 0

    async def run_once(self) -> int:
        """One periodic run, as the bridge's loop wants it: how many drifts were found."""
        result = await self.run(fix=self._settings.fix)
        async with self._db.transaction() as session:
            counts = await store.counts_by_kind(session, result.run_id)
        return sum(counts.values())

    async def run(self, *, fix: bool) -> RunResult:
        started = datetime.now(UTC)
        deals, requests = await self._list_deals()
        async with self._db.transaction() as session:
            run_id = await store.start_run(session, fix=fix, now=started)
        checked, self._reads, after_id = 0, 0, 0
        while chunk := await self._chunk(after_id):
            after_id = chunk[-1].lead_id
            checked += len(chunk)
            findings = [await self._judge(record, deals, started) for record in chunk]
            await self._record(run_id, findings, fix=fix)
        async with self._db.transaction() as session:
            await store.finish_run(
                session,
                run_id,
                leads_checked=checked,
                deals_listed=len(deals),
                crm_requests=requests,
                avito_reads=self._reads,
                now=datetime.now(UTC),
            )
            counts = await store.counts_by_kind(session, run_id)
        set_drift_gauge(counts)
        log.info("reconcile.finished", run_id=run_id, leads=checked, crm_requests=requests)
        return RunResult(run_id, checked, len(deals), requests, self._reads)

    async def _list_deals(self) -> tuple[dict[int, CrmDeal], int]:
        deals: dict[int, CrmDeal] = {}
        requests = 0
        async for page in self._api.pipeline_deal_pages(self._layout.pipeline_id):
            requests += 1
            for deal in page:
                deals[deal.id] = self._deal(deal)
        return deals, requests

    def _deal(self, deal: Deal) -> CrmDeal:
        return CrmDeal(
            stage_key=self._layout.stage_of(deal.status_id),
            price_kopecks=(deal.price or 0) * 100,
            loss_reason=self._layout.loss_reason_name(deal.loss_reason_id),
            updated_at=None
            if deal.updated_at is None
            else datetime.fromtimestamp(deal.updated_at, UTC),
        )

    async def _chunk(self, after_id: int) -> list[LeadRecord]:
        async with self._db.transaction() as session:
            return await store.lead_records(session, after_id=after_id, limit=CHUNK)

    async def _judge(
        self, record: LeadRecord, deals: dict[int, CrmDeal], now: datetime
    ) -> tuple[LeadRecord, CrmDeal | None, list[Drift]]:
        deal = deals.get(record.amo_lead_id) if record.amo_lead_id is not None else None
        if record.updated_at >= now:
            return record, None, []  # changed since the deals were listed: the next run judges
        grace = timedelta(seconds=self._settings.missing_deal_grace_s)
        if deal is None and now - record.created_at < grace:
            return record, None, []  # the deal batcher may simply not have got to it yet
        recent = now - timedelta(seconds=self._settings.in_flight_grace_s)
        facts = _facts(record, deal, changed_recently=_changed_since(record, deal, recent))
        if deal is not None and self._should_read(facts):
            facts = await self._read_back(facts)
        return record, deal, classify(facts, self._funnel)

    def _should_read(self, facts: LeadFacts) -> bool:
        if self._reads >= self._settings.max_reads:
            return False
        if needs_read_back(facts, self._funnel):
            return True
        return self._rng.random() < self._settings.read_sample_ratio

    async def _read_back(self, facts: LeadFacts) -> LeadFacts:
        self._reads += 1
        try:
            async with self._reads_limiter.slot():
                status = await self._avito.read_status(facts.avito_lead_id)
        except (httpx.HTTPError, UnreadableAnswer) as error:
            # The lead is judged without Avito's side, as when Avito is down; an answer of a
            # shape the mapping does not know is drift, shown on its own page.
            log.warning("reconcile.read_failed", error=type(error).__name__)
            if isinstance(error, UnreadableAnswer):
                await note_drifts(self._db, error.drifts)
            return facts
        return _with_read(facts, status)

    async def _record(
        self,
        run_id: int,
        findings: Sequence[tuple[LeadRecord, CrmDeal | None, list[Drift]]],
        *,
        fix: bool,
    ) -> None:
        items: list[ReconciliationItem] = []
        for record, deal, drifts in findings:
            wanted = any(d.repairable and not d.in_flight for d in drifts)
            queued = fix and wanted and await self._repair(record, deal)
            for drift in drifts:
                items.append(_item(run_id, record, drift, _action(drift, queued=queued)))
        if items:
            async with self._db.transaction() as session:
                await store.add_items(session, items)

    async def _repair(self, record: LeadRecord, deal: CrmDeal | None) -> bool:
        """Replay a stage we missed, then queue what the stage still implies; True if queued."""
        if deal is None or deal.stage_key is None or record.amo_lead_id is None:
            return False
        if record.stage_key != deal.stage_key:
            try:
                await self._changes.resync(record.amo_lead_id)
            except (AmoApiError, httpx.HTTPError) as error:
                # The run goes on; this lead stays `repairable` and the next run tries again.
                log.warning("reconcile.resync_failed", error=type(error).__name__)
                return False
        now = datetime.now(UTC)
        async with self._db.transaction() as session:
            lead = await leads.by_amo_lead_id(session, record.amo_lead_id, lock=True)
            if lead is None:
                return False
            plan = plan_statuses(
                self._funnel,
                last_status=lead.avito_status,
                stage_key=deal.stage_key,
                price_kopecks=deal.price_kopecks,
                loss_reason=deal.loss_reason,
            )
            await outbox.enqueue_plan(session, lead, plan, occurred_at=now, now=now)
            repaired = lead.avito_status != record.queued_status
        self._wakeups.notify(OUTBOX)
        return repaired


def set_drift_gauge(counts: dict[tuple[str, str], int]) -> None:
    """`leadbridge_drift_items` by kind, from the latest run's findings; every kind is set, so a
    kind that went away reads 0 rather than its old value."""
    for kind in DriftKind:
        found = sum(n for (k, a), n in counts.items() if k == kind.value and a != IN_FLIGHT)
        DRIFT.labels(kind=kind.value).set(found)


def _action(drift: Drift, *, queued: bool) -> str:
    if drift.in_flight:
        return IN_FLIGHT
    if not drift.repairable:
        return PERSON
    return QUEUED if queued else REPAIRABLE


def _changed_since(record: LeadRecord, deal: CrmDeal | None, moment: datetime) -> bool:
    """Whether our records or amoCRM changed the lead after `moment`: its stage change may still
    be in the inbox, its statuses on their way to Avito."""
    changes = [record.updated_at, deal.updated_at if deal else None]
    return any(changed is not None and changed > moment for changed in changes)


def _facts(record: LeadRecord, deal: CrmDeal | None, *, changed_recently: bool) -> LeadFacts:
    return LeadFacts(
        avito_lead_id=record.avito_lead_id,
        has_deal_id=record.amo_lead_id is not None,
        deal=deal,
        logged_stage=record.stage_key,
        queued_status=record.queued_status,
        acknowledged=record.sent[-1][0] if record.sent else None,
        acknowledged_prices=tuple((s, p) for s, p in record.sent if p is not None),
        in_flight=record.in_flight,
        moving=record.moving,
        changed_recently=changed_recently,
    )


def _with_read(facts: LeadFacts, status: str | None) -> LeadFacts:
    return replace(facts, read_back=status, was_read=True)


def _item(run_id: int, record: LeadRecord, drift: Drift, action: str) -> ReconciliationItem:
    return ReconciliationItem(
        run_id=run_id,
        lead_id=record.lead_id,
        avito_lead_id=record.avito_lead_id,
        kind=drift.kind.value,
        detail=drift.detail,
        action=action,
    )
