"""Reconciliation: what our records say of each lead, read in chunks, and the runs' findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store.outbox import BLOCKING_STATES
from leadbridge.store.tables import Lead, OutboxItem, ReconciliationItem, ReconciliationRun

MOVING_STATES = (OutboxState.PENDING, OutboxState.SENDING)


@dataclass(slots=True)
class LeadRecord:
    """One lead as our tables know it: the deal, the logged stage and the outbox's story."""

    lead_id: int
    avito_lead_id: str
    amo_lead_id: int | None
    stage_key: str | None
    queued_status: str | None
    created_at: datetime
    updated_at: datetime
    sent: list[tuple[str, int | None]] = field(default_factory=list)  # status, price, in order
    in_flight: bool = False  # an item waits: queued, being sent, or parked for a person
    moving: bool = False  # an item is queued or being sent: the relay is still on it


async def lead_records(session: AsyncSession, *, after_id: int, limit: int) -> list[LeadRecord]:
    """The next chunk of leads by id, each with its outbox history: two queries per chunk."""
    rows = await session.execute(
        select(
            Lead.id,
            Lead.avito_lead_id,
            Lead.amo_lead_id,
            Lead.stage_key,
            Lead.avito_status,
            Lead.created_at,
            Lead.updated_at,
        )
        .where(Lead.id > after_id)
        .order_by(Lead.id)
        .limit(limit)
    )
    records = {row[0]: LeadRecord(*row) for row in rows.all()}
    if not records:
        return []
    items = await session.execute(
        select(OutboxItem.lead_id, OutboxItem.status, OutboxItem.price_kopecks, OutboxItem.state)
        .where(OutboxItem.lead_id.in_(records))
        .order_by(OutboxItem.lead_id, OutboxItem.seq)
    )
    for lead_id, status, price, state in items.all():
        record = records[lead_id]
        if state == OutboxState.SENT:
            record.sent.append((status, price))
        elif state in BLOCKING_STATES:
            record.in_flight = True
            record.moving = record.moving or state in MOVING_STATES
    return list(records.values())


async def start_run(session: AsyncSession, *, fix: bool, now: datetime) -> int:
    run = ReconciliationRun(
        started_at=now, fix=fix, leads_checked=0, deals_listed=0, crm_requests=0, avito_reads=0
    )
    session.add(run)
    await session.flush()
    return run.id


async def add_items(session: AsyncSession, items: Sequence[ReconciliationItem]) -> None:
    session.add_all(items)
    await session.flush()


async def finish_run(
    session: AsyncSession,
    run_id: int,
    *,
    leads_checked: int,
    deals_listed: int,
    crm_requests: int,
    avito_reads: int,
    now: datetime,
) -> None:
    await session.execute(
        update(ReconciliationRun)
        .where(ReconciliationRun.id == run_id)
        .values(
            finished_at=now,
            leads_checked=leads_checked,
            deals_listed=deals_listed,
            crm_requests=crm_requests,
            avito_reads=avito_reads,
        )
    )


async def counts_by_kind(session: AsyncSession, run_id: int) -> dict[tuple[str, str], int]:
    """(kind, action) → how many items of the run."""
    rows = await session.execute(
        select(ReconciliationItem.kind, ReconciliationItem.action, func.count())
        .where(ReconciliationItem.run_id == run_id)
        .group_by(ReconciliationItem.kind, ReconciliationItem.action)
    )
    return {(kind, action): count for kind, action, count in rows.all()}


async def items_needing_a_person(
    session: AsyncSession, run_id: int, limit: int
) -> Sequence[ReconciliationItem]:
    statement = (
        select(ReconciliationItem)
        .where(ReconciliationItem.run_id == run_id, ReconciliationItem.action == "person")
        .order_by(ReconciliationItem.id)
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def recent_runs(session: AsyncSession, limit: int) -> Sequence[ReconciliationRun]:
    statement = select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(limit)
    return (await session.scalars(statement)).all()


async def run_of(session: AsyncSession, run_id: int) -> ReconciliationRun | None:
    return await session.get(ReconciliationRun, run_id)


async def counts_of_runs(
    session: AsyncSession, run_ids: Sequence[int]
) -> dict[int, dict[tuple[str, str], int]]:
    """run id → (kind, action) → how many items: the runs' table in one query."""
    rows = await session.execute(
        select(
            ReconciliationItem.run_id,
            ReconciliationItem.kind,
            ReconciliationItem.action,
            func.count(),
        )
        .where(ReconciliationItem.run_id.in_(run_ids))
        .group_by(ReconciliationItem.run_id, ReconciliationItem.kind, ReconciliationItem.action)
    )
    counts: dict[int, dict[tuple[str, str], int]] = {run_id: {} for run_id in run_ids}
    for run_id, kind, action, count in rows.all():
        counts[run_id][(kind, action)] = count
    return counts


async def run_items(session: AsyncSession, run_id: int, limit: int) -> Sequence[ReconciliationItem]:
    statement = (
        select(ReconciliationItem)
        .where(ReconciliationItem.run_id == run_id)
        .order_by(ReconciliationItem.id)
        .limit(limit)
    )
    return (await session.scalars(statement)).all()
