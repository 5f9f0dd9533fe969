"""The first-call task of each new deal: planned with the deal, attempted, then added."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import Lead, LeadTask
from leadbridge.store.upsert import insert_many_ignoring_conflict


@dataclass(frozen=True, slots=True)
class PlannedTask:
    lead_id: int
    responsible_user_id: int | None
    due_at: datetime


@dataclass(frozen=True, slots=True)
class WaitingTask:
    lead_id: int
    amo_lead_id: int
    responsible_user_id: int | None
    due_at: datetime
    attempted_at: datetime | None


async def plan(session: AsyncSession, tasks: Sequence[PlannedTask]) -> None:
    """A deal recorded twice (found again after a crash) keeps its first plan."""
    rows = [
        {"lead_id": t.lead_id, "responsible_user_id": t.responsible_user_id, "due_at": t.due_at}
        for t in tasks
    ]
    await insert_many_ignoring_conflict(session, LeadTask, rows, ["lead_id"])


async def waiting(session: AsyncSession, limit: int) -> list[WaitingTask]:
    statement = (
        select(
            LeadTask.lead_id,
            Lead.amo_lead_id,
            LeadTask.responsible_user_id,
            LeadTask.due_at,
            LeadTask.attempted_at,
        )
        .join(Lead, Lead.id == LeadTask.lead_id)
        .where(LeadTask.added_at.is_(None), Lead.amo_lead_id.is_not(None))
        .order_by(LeadTask.lead_id)
        .limit(limit)
    )
    return [
        WaitingTask(lead_id, int(amo_lead_id or 0), owner, due_at, attempted_at)
        for lead_id, amo_lead_id, owner, due_at, attempted_at in await session.execute(statement)
    ]


async def mark_attempted(session: AsyncSession, lead_ids: Sequence[int], now: datetime) -> None:
    """Set before the tasks are sent: after a crash these deals' tasks are looked up first."""
    statement = update(LeadTask).where(LeadTask.lead_id.in_(lead_ids)).values(attempted_at=now)
    await session.execute(statement)


async def mark_added(
    session: AsyncSession, task_ids: Mapping[int, int | None], now: datetime
) -> None:
    """`task_ids`: lead id → amoCRM's task id (None when the answer did not name it)."""
    if not task_ids:
        return
    rows = [
        {"lead_id": lead_id, "amo_task_id": task_id, "added_at": now}
        for lead_id, task_id in task_ids.items()
    ]
    await session.execute(update(LeadTask), rows)
