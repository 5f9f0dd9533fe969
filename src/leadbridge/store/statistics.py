"""Conversion statistics as SQL aggregates: every number is a GROUP BY in the database, so the
memory they take does not grow with the number of deals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain import statistics as stats
from leadbridge.domain.funnel import Funnel
from leadbridge.domain.periods import BUSINESS_TIME_ZONE, Week
from leadbridge.store.tables import Lead, OutboxItem, StatusChange
from leadbridge.store.upsert import dialect_name

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


class _Query:
    """The expressions every aggregate shares, built once per call from the funnel."""

    def __init__(self, funnel: Funnel, week: str | None) -> None:
        self.positions = stats.stage_positions(funnel)
        self.lost_keys = [stage.key for stage in funnel.stages if stage.lost]
        self.bought_out = stats.bought_out_position(funnel)
        self.commission_status = funnel.commission_status
        self.window = stats.iso_week_range(week) if week else None
        logged = (
            select(
                StatusChange.lead_id.label("lead_id"),
                func.max(self._position(StatusChange.stage_key)).label("furthest"),
            )
            .group_by(StatusChange.lead_id)
            .subquery("logged")
        )
        self.logged = logged
        self.furthest = func.coalesce(
            logged.c.furthest, self._position(Lead.stage_key), literal(stats.NO_DEAL)
        )

    def _position(self, column: Any) -> ColumnElement[Any]:
        return case(self.positions, value=column, else_=None)

    def leads(self, *columns: Any) -> Select[Any]:
        """SELECT over the requests (of the week, if one was asked) with their progress."""
        statement = (
            select(*columns)
            .select_from(Lead)
            .outerjoin(self.logged, self.logged.c.lead_id == Lead.id)
        )
        return self.in_week(statement)

    def in_week(self, statement: SelectT) -> SelectT:
        if self.window is None:
            return statement
        start, end = self.window
        return statement.where(Lead.avito_created_at >= start, Lead.avito_created_at < end)

    def outcome_columns(self) -> tuple[Any, ...]:
        bought = case((self.furthest >= self.bought_out, 1), else_=0)
        lost = case((Lead.stage_key.in_(self.lost_keys), 1), else_=0)
        return func.count(), func.sum(bought), func.sum(lost)


async def gather(
    session: AsyncSession, funnel: Funnel, week: str | None = None
) -> stats.Statistics:
    """All the statistics, for the requests created in `week` (ISO, '2026-W18') or for all."""
    query = _Query(funnel, week)
    by_furthest = await _furthest_counts(session, query)
    return stats.Statistics(
        week=week,
        leads=sum(by_furthest.values()),
        stages=stats.stage_reach(funnel, by_furthest),
        cities=await _grouped(session, query, func.coalesce(Lead.city, "—")),
        models=await _grouped(session, query, Lead.model),
        weeks=await _weeks(session, query),
        stage_times=stats.stage_times(funnel, await _stage_seconds(session, query)),
        prices=await _prices(session, query),
        loss_reasons=stats.loss_reasons(await _loss_rows(session, query)),
    )


async def _furthest_counts(session: AsyncSession, query: _Query) -> dict[int, int]:
    # Not labelled "furthest": PostgreSQL would group by the subquery's column of that name.
    progress = query.furthest.label("progress")
    rows = await session.execute(query.leads(progress, func.count()).group_by(progress))
    return {int(position): int(count) for position, count in rows.all()}


async def _grouped(
    session: AsyncSession, query: _Query, key: Any
) -> tuple[stats.GroupConversion, ...]:
    labelled = key.label("group_key")
    statement = query.leads(labelled, *query.outcome_columns()).group_by(labelled)
    rows = (await session.execute(statement)).all()
    groups = [
        stats.GroupConversion(str(k), int(n), int(b or 0), int(lo or 0)) for k, n, b, lo in rows
    ]
    return tuple(sorted(groups, key=lambda group: (-group.leads, group.key)))


async def _weeks(session: AsyncSession, query: _Query) -> tuple[stats.GroupConversion, ...]:
    """Per business week (Monday 00:00 of `BUSINESS_TIME_ZONE`, as settlement cuts them)."""
    bucket = _week_bucket(session, Lead.avito_created_at).label("bucket")
    statement = query.leads(bucket, *query.outcome_columns()).group_by(bucket)
    totals: dict[str, tuple[int, int, int]] = {}
    for key, n, b, lo in (await session.execute(statement)).all():
        week = _week_name(session, key)
        seen = totals.get(week, (0, 0, 0))
        totals[week] = (seen[0] + int(n), seen[1] + int(b or 0), seen[2] + int(lo or 0))
    return tuple(
        stats.GroupConversion(week, n, b, lo) for week, (n, b, lo) in sorted(totals.items())
    )


def _week_bucket(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    """PostgreSQL: the business week's Monday, as 'YYYY-MM-DD'. SQLite knows no time zones, so
    it groups by the UTC hour ('YYYY-MM-DD HH:00:00') and `_week_name` folds the hours into
    weeks: Moscow's offsets since 2000 (the first year a week may be in) are whole hours, so no
    UTC hour straddles a Monday midnight. A week has 168 hours at most, so the rows stay few."""
    if dialect_name(session) == "postgresql":
        local = func.timezone(BUSINESS_TIME_ZONE.key, column)
        return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d %H:00:00", column)


def _week_name(session: AsyncSession, key: Any) -> str:
    if dialect_name(session) == "postgresql":
        return stats.iso_week_of(_as_date(key))
    hour = datetime.fromisoformat(str(key)).replace(tzinfo=UTC)
    return Week.of(hour).name


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _stage_seconds(session: AsyncSession, query: _Query) -> list[tuple[str, int, float]]:
    """Per stage: how many times a deal left it, and the seconds it spent there in total."""
    left_at = func.lead(StatusChange.occurred_at).over(
        partition_by=StatusChange.lead_id, order_by=(StatusChange.occurred_at, StatusChange.id)
    )
    spans = query.in_week(
        select(
            StatusChange.stage_key.label("stage_key"),
            StatusChange.occurred_at.label("entered_at"),
            left_at.label("left_at"),
        ).join(Lead, Lead.id == StatusChange.lead_id)
    ).subquery("spans")
    seconds = _seconds_between(session, spans.c.entered_at, spans.c.left_at)
    statement = (
        select(spans.c.stage_key, func.count(), func.sum(seconds))
        .where(spans.c.left_at.is_not(None), spans.c.stage_key.is_not(None))
        .group_by(spans.c.stage_key)
    )
    rows = (await session.execute(statement)).all()
    return [(str(stage), int(n), float(total or 0)) for stage, n, total in rows]


def _seconds_between(session: AsyncSession, start: Any, end: Any) -> ColumnElement[Any]:
    if dialect_name(session) == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


async def _prices(session: AsyncSession, query: _Query) -> stats.PriceComparison:
    """What Avito was told was paid (the commission status's price) against the asking price."""
    paid, asked = OutboxItem.price_kopecks, Lead.seller_price_kopecks
    statement = query.in_week(
        select(
            func.count(),
            func.sum(paid),
            func.sum(asked),
            func.sum(case((paid < asked, 1), else_=0)),
            func.sum(case((paid > asked, 1), else_=0)),
        )
        .select_from(Lead)
        .join(
            OutboxItem,
            and_(OutboxItem.lead_id == Lead.id, OutboxItem.status == query.commission_status),
        )
        .where(paid.is_not(None), asked.is_not(None))
    )
    n, paid_sum, asked_sum, below, above = (await session.execute(statement)).one()
    return stats.PriceComparison(
        int(n), int(paid_sum or 0), int(asked_sum or 0), int(below or 0), int(above or 0)
    )


async def _loss_rows(session: AsyncSession, query: _Query) -> list[tuple[str | None, int]]:
    """Per loss reason, the leads lost now: each once, by the reason of its last loss."""
    last_loss = (
        select(func.max(StatusChange.id).label("id"))
        .where(StatusChange.stage_key.in_(query.lost_keys))
        .group_by(StatusChange.lead_id)
        .subquery("last_loss")
    )
    statement = query.in_week(
        select(StatusChange.loss_reason, func.count())
        .select_from(StatusChange)
        .join(last_loss, last_loss.c.id == StatusChange.id)
        .join(Lead, Lead.id == StatusChange.lead_id)
        .where(Lead.stage_key.in_(query.lost_keys))  # reopened since: not lost
        .group_by(StatusChange.loss_reason)
    )
    return [(reason, int(count)) for reason, count in (await session.execute(statement)).all()]
