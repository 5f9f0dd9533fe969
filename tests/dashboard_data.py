"""Data for dashboard tests and screenshots: leads through the real intake, the rest through the
store exactly as the bridge's flows write it (deals, stage changes, outbox, send attempts)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from leadbridge.domain.funnel import Funnel
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.status_path import PlannedStatus
from leadbridge.sandbox.avito.leads import LeadFactory
from leadbridge.store import leads, outbox, status_log, timeline, tokens
from leadbridge.store.database import Database
from leadbridge.store.tables import StatusChange
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.pages.overview import week_start

# How far each lead got, in turn: most are early in the funnel, a few are bought out.
JOURNEYS = ("new", "contacted", "negotiation", "price_agreed", "pickup_scheduled", "bought_out")
AMO_ID_BASE = 31_000_000


class _Clock:
    """What the flows did happens in the two seconds after the leads came in, so a lead's
    timeline reads in order; everything falls in the current week, which the overview counts."""

    def __init__(self, start: datetime) -> None:
        self.start = start

    def at(self, fraction: float) -> datetime:
        return self.start + timedelta(seconds=2 * fraction)


def _created_at() -> datetime:
    now = datetime.now(UTC)  # Avito's time has whole seconds: stay clear of the week's start
    return max(now, week_start(now) + timedelta(seconds=1))


@dataclass
class Seeded:
    lead_ids: list[int] = field(default_factory=list)
    avito_ids: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    parked_item: int = 0
    parked_lead: int = 0
    retrying_item: int = 0
    sent_item: int = 0


async def seed_dashboard(db: Database, funnel: Funnel, *, count: int = 24) -> Seeded:
    """`count` leads; every lead but the last two gets a deal and walks part of the funnel.
    The first lead's head is parked (Avito refused it), the second's is on retry."""
    seeded = Seeded()
    factory = LeadFactory(seed=11, now=_created_at)
    for _ in range(count):
        raw = factory.make()
        await accept_lead(db, raw, channel="webhook", wakeups=LocalWakeups())
        seeded.avito_ids.append(str(raw["id"]))
    clock = _Clock(datetime.now(UTC))
    async with db.transaction() as session:
        found = sorted(await leads.recent(session, count), key=lambda lead: lead.id)
        seeded.lead_ids = [lead.id for lead in found]
        seeded.phones = [lead.seller_phone or "" for lead in found]
        await tokens.save_token(
            session, "amocrm", access_token="a", refresh_token="r",
            expires_at=clock.start + timedelta(hours=20), now=clock.start,
        )  # fmt: skip
    journeys = itertools.cycle(JOURNEYS)
    for position, lead_id in enumerate(seeded.lead_ids[:-2]):
        await _walk(db, funnel, lead_id, next(journeys), AMO_ID_BASE + position, clock)
    await _troubles(db, seeded, clock)
    return seeded


async def _walk(
    db: Database, funnel: Funnel, lead_id: int, target: str, amo_id: int, clock: _Clock
) -> None:
    """The deal is created in `new`, then moved once to `target`; its statuses all go out."""
    async with db.transaction() as session:
        await leads.mark_deals_created(
            session, [leads.CreatedDeal(lead_id, amo_lead_id=amo_id, amo_contact_id=None)],
            stage_key="new", avito_status="accepted", now=clock.at(0.1),
        )  # fmt: skip
        lead = await leads.by_id(session, lead_id)
        assert lead is not None
        statuses = ["accepted"]
        if target != "new":
            moved = clock.at(0.2)
            await status_log.append(session, _change(funnel, lead_id, amo_id, target, moved))
            last = funnel.implied_status(target)
            assert last is not None
            chain = funnel.statuses.chain
            statuses = list(chain[: chain.index(last) + 1])
            lead.stage_key, lead.avito_status = target, last
        priced = funnel.statuses.priced
        price = lead.buyout_price_kopecks
        planned = [
            PlannedStatus(status, price if status in priced else None) for status in statuses
        ]
        await outbox.enqueue(
            session, lead_id=lead_id, avito_lead_id=lead.avito_lead_id, statuses=planned,
            occurred_at=clock.at(0.2), now=clock.at(0.25),
        )  # fmt: skip
    await _send_all(db, clock.at(0.3))


def _change(funnel: Funnel, lead_id: int, amo_id: int, stage: str, at: datetime) -> StatusChange:
    return StatusChange(
        lead_id=lead_id, change_key=f"{amo_id}:new>{stage}", old_status_id=None,
        new_status_id=funnel.stages.index(funnel.stage(stage)) + 1000, pipeline_id=None,
        stage_key=stage, price_kopecks=None, loss_reason=None, verdict="send", source="webhook",
        occurred_at=at, recorded_at=at,
    )  # fmt: skip


async def _send_all(db: Database, at: datetime) -> None:
    while True:
        async with db.transaction() as session:
            heads = await outbox.claim_heads(session, limit=100, now=at)
            for item in heads:
                await outbox.record_attempt(session, item, outcome="ok", detail=None, now=at)
                await outbox.finish(
                    session, item.id, state=OutboxState.SENT, error=None, sent_at=at
                )
        if not heads:
            return
        at += timedelta(microseconds=1000)


async def _troubles(db: Database, seeded: Seeded, clock: _Clock) -> None:
    """A refused status (parked) on the first lead, a failing one (retrying) on the second."""
    parked_lead, retrying_lead = seeded.lead_ids[0], seeded.lead_ids[1]
    async with db.transaction() as session:
        for lead_id, status in ((parked_lead, "contacted"), (retrying_lead, "price_agreed")):
            lead = await leads.by_id(session, lead_id)
            assert lead is not None
            await outbox.enqueue(
                session, lead_id=lead_id, avito_lead_id=lead.avito_lead_id,
                statuses=[PlannedStatus(status)], occurred_at=clock.at(0.5), now=clock.at(0.5),
            )  # fmt: skip
        claimed = await outbox.claim_heads(session, limit=10, now=clock.at(0.6))
        now = clock.at(0.7)
        for item in claimed:
            if item.lead_id == parked_lead:
                detail = "422 transition accepted → contacted not allowed"
                await outbox.record_attempt(
                    session, item, outcome="forbidden", detail=detail, now=now
                )
                await outbox.finish(
                    session, item.id, state=OutboxState.PARKED, error=detail, sent_at=None
                )
                seeded.parked_item, seeded.parked_lead = item.id, parked_lead
            elif item.lead_id == retrying_lead:
                detail = "HTTP 503"
                await outbox.record_attempt(
                    session, item, outcome="retryable", detail=detail, now=now
                )
                await outbox.retry_later(
                    session, item.id, error=detail, next_attempt_at=now + timedelta(hours=1)
                )
                seeded.retrying_item = item.id
    async with db.transaction() as session:
        items = await timeline.outbox_items(session, seeded.lead_ids[2])
    seeded.sent_item = next(item.id for item in items if item.state == OutboxState.SENT)
