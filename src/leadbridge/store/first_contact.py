"""What speed of first contact is computed from: per deal, its request's creation, its first
entry into the contact stage (or any stage after it) and into the lost stage, and the due time
of its first-call task. One query per call, whatever the number of deals: the stage log is
reduced to one row per deal by a GROUP BY before it is joined.

`histogram` is the Prometheus view: the same waits, bucketed and summed in the database per
city, so that a scrape reads a few rows however many deals there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, Subquery, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.first_contact import contact_stage_keys, lost_stage_keys
from leadbridge.domain.funnel import Funnel
from leadbridge.store.tables import Lead, LeadTask, StatusChange
from leadbridge.store.types import UtcDateTime
from leadbridge.store.upsert import dialect_name

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True, slots=True)
class ContactRow:
    lead_id: int
    city: str | None
    manager: int | None
    created_at: datetime
    task_due_at: datetime | None  # None: the deal predates first-call tasks (0016)
    contacted_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CityWaits:
    """Contacted deals of one city: how many waited at most each bound, how many, how long."""

    city: str | None
    at_most: tuple[int, ...]  # one count per bound, cumulative as Prometheus wants it
    count: int
    total_seconds: float


def _created_in(statement: SelectT, start: datetime | None, end: datetime | None) -> SelectT:
    if start is not None:
        statement = statement.where(Lead.avito_created_at >= start)
    if end is not None:
        statement = statement.where(Lead.avito_created_at < end)
    return statement


def _milestones(funnel: Funnel, start: datetime | None, end: datetime | None) -> Subquery:
    """Per deal of the period with a logged change: its first contact and its first loss. The
    period is applied here too, so a week's page reads that week's log, not all of it."""
    contact, lost = contact_stage_keys(funnel), lost_stage_keys(funnel)
    at = StatusChange.occurred_at

    def first(keys: Sequence[str]) -> ColumnElement[Any]:
        return type_coerce(func.min(case((StatusChange.stage_key.in_(keys), at))), UtcDateTime)

    statement = (
        select(
            StatusChange.lead_id.label("lead_id"),
            first(contact).label("contacted_at"),
            first(lost).label("closed_at"),
        )
        .join(Lead, Lead.id == StatusChange.lead_id)
        .where(StatusChange.stage_key.in_([*contact, *lost]))
        .group_by(StatusChange.lead_id)
    )
    return _created_in(statement, start, end).subquery("milestones")


async def contacts(
    session: AsyncSession, funnel: Funnel, start: datetime | None, end: datetime | None
) -> list[ContactRow]:
    """Every deal whose request was created in [start, end) (None: unbounded), by lead id."""
    milestones = _milestones(funnel, start, end)
    statement = (
        select(
            Lead.id,
            Lead.city,
            Lead.responsible_user_id,
            Lead.avito_created_at,
            LeadTask.due_at,
            milestones.c.contacted_at,
            milestones.c.closed_at,
        )
        .select_from(Lead)
        .outerjoin(milestones, milestones.c.lead_id == Lead.id)
        .outerjoin(LeadTask, LeadTask.lead_id == Lead.id)
        .where(Lead.amo_lead_id.is_not(None))  # no deal yet: no manager could have called
        .order_by(Lead.id)
    )
    rows = await session.execute(_created_in(statement, start, end))
    return [ContactRow(*row) for row in rows.all()]


async def histogram(
    session: AsyncSession, funnel: Funnel, bounds: Sequence[float]
) -> list[CityWaits]:
    """Every contacted deal's wait, per city: counts at most each bound (seconds), count, sum."""
    milestones = _milestones(funnel, None, None)
    seconds = _seconds(session, Lead.avito_created_at, milestones.c.contacted_at)
    wait = case((seconds < 0, 0.0), else_=seconds)  # as the domain: never negative
    statement = (
        select(
            Lead.city,
            *(func.sum(case((wait <= bound, 1), else_=0)) for bound in bounds),
            func.count(),
            func.sum(wait),
        )
        .select_from(Lead)
        .join(milestones, milestones.c.lead_id == Lead.id)
        .where(milestones.c.contacted_at.is_not(None), Lead.amo_lead_id.is_not(None))
        .group_by(Lead.city)
        .order_by(Lead.city)
    )
    return [
        CityWaits(city, tuple(int(n or 0) for n in at_most), int(count), float(total or 0))
        for city, *at_most, count, total in (await session.execute(statement)).all()
    ]


def _seconds(session: AsyncSession, start: Any, end: Any) -> ColumnElement[Any]:
    if dialect_name(session) == "postgresql":
        return func.extract("epoch", end - start)
    # julianday is a double of days: rounded to the millisecond, a wait of exactly 900 s stays
    # 900 and falls in the bucket of 900.
    return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)
