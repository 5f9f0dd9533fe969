"""Settlement SQL: acknowledged money statuses of a week, frozen lines, the stored diff.
(Avito's answers as received: `store/settlement_answers.py`.)

Everything that can be large is streamed in batches (`yield_per`), so a week of a million deals
is read with constant memory; on PostgreSQL that is a server-side cursor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.periods import Week
from leadbridge.domain.settlement import COMMISSION, STORNO, Diff, Line, SettlementEvent
from leadbridge.domain.settlement_quarantine import QUARANTINED, QuarantinedLine
from leadbridge.store.tables import (
    Lead,
    OutboxItem,
    SettlementException,
    SettlementLine,
    SettlementPeriod,
)

BATCH = 5_000
KEYS_PER_QUERY = 900  # bound parameters per IN list: under SQLite's oldest limit of 999


def _events_query(week: Week, bought_out: str, returned: str) -> Select[Any]:
    status, buyout = aliased(OutboxItem), aliased(OutboxItem)
    return (
        select(
            status.avito_lead_id,
            status.status,
            status.occurred_at,
            Lead.device["category"].as_string(),
            buyout.price_kopecks,
            buyout.occurred_at,
            Lead.amo_lead_id,
        )
        # A storno is priced from the buyout it reverses; a buyout joins itself.
        .join(buyout, and_(buyout.lead_id == status.lead_id, buyout.status == bought_out))
        .join(Lead, Lead.id == status.lead_id)
        .where(
            status.status.in_((bought_out, returned)),
            status.state == OutboxState.SENT,  # acknowledged by Avito
            status.occurred_at >= week.starts_at,
            status.occurred_at < week.ends_at,
            buyout.price_kopecks.is_not(None),
        )
        .order_by(status.occurred_at, status.avito_lead_id, status.status)
    )


async def events(
    session: AsyncSession, week: Week, *, bought_out: str, returned: str
) -> AsyncIterator[SettlementEvent]:
    query = _events_query(week, bought_out, returned).execution_options(yield_per=BATCH)
    result = await session.stream(query)
    async for lead_id, status, occurred_at, category, price, bought_out_at, amo_id in result:
        yield SettlementEvent(
            avito_lead_id=lead_id,
            kind=COMMISSION if status == bought_out else STORNO,
            occurred_at=occurred_at,
            category=category or "phone",
            price_kopecks=price,
            bought_out_at=bought_out_at,
            amo_lead_id=amo_id,
        )


async def period(session: AsyncSession, week: Week) -> SettlementPeriod | None:
    return await session.get(SettlementPeriod, week.name)


async def frozen_weeks(session: AsyncSession) -> list[Week]:
    query = select(SettlementPeriod.week).where(SettlementPeriod.frozen_at.is_not(None))
    return sorted(Week.parse(name) for name in (await session.scalars(query)).all())


async def booked(session: AsyncSession, keys: Sequence[str]) -> dict[str, int]:
    """Per corrected line, what frozen weeks hold: the line plus its frozen adjustments."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        query = (
            select(SettlementLine.origin_key, func.sum(SettlementLine.amount_kopecks))
            .join(SettlementPeriod, SettlementPeriod.week == SettlementLine.week)
            .where(
                SettlementPeriod.frozen_at.is_not(None),
                SettlementLine.origin_key.in_(keys[start : start + KEYS_PER_QUERY]),
            )
            .group_by(SettlementLine.origin_key)
        )
        found.update((key, int(total)) for key, total in (await session.execute(query)).all())
    return found


async def booked_unacknowledged(
    session: AsyncSession, *, bought_out: str, returned: str
) -> dict[str, int]:
    """What frozen weeks still hold for a line whose status Avito no longer acknowledges."""
    status = case((SettlementLine.origin_key.like(f"%:{COMMISSION}"), bought_out), else_=returned)
    acknowledged = (
        select(OutboxItem.id)
        .where(
            OutboxItem.avito_lead_id == SettlementLine.avito_lead_id,
            OutboxItem.status == status,
            OutboxItem.state == OutboxState.SENT,
        )
        .exists()
    )
    total = func.sum(SettlementLine.amount_kopecks)
    query = (
        select(SettlementLine.origin_key, total)
        .join(SettlementPeriod, SettlementPeriod.week == SettlementLine.week)
        .where(SettlementPeriod.frozen_at.is_not(None), ~acknowledged)
        .group_by(SettlementLine.origin_key)
        .having(total != 0)
    )
    return {key: int(amount) for key, amount in (await session.execute(query)).all()}


async def stored_lines(session: AsyncSession, week: Week) -> AsyncIterator[Line]:
    # Columns, not ORM objects: a frozen week's export reads a million rows, and building and
    # tracking an entity per row cost more than writing its CSV line (docs/benchmarks.md).
    query = (
        select(
            SettlementLine.line_key,
            SettlementLine.kind,
            SettlementLine.avito_lead_id,
            SettlementLine.occurred_at,
            SettlementLine.category,
            SettlementLine.base_price_kopecks,
            SettlementLine.amount_kopecks,
            SettlementLine.rule,
            SettlementLine.origin_key,
        )
        .where(SettlementLine.week == week.name)
        .order_by(SettlementLine.id)
        .execution_options(yield_per=BATCH)
    )
    async for (
        key,
        kind,
        lead,
        occurred_at,
        category,
        price,
        amount,
        rule,
        origin,
    ) in await session.stream(query):
        yield Line(
            key=key,
            kind=kind,
            avito_lead_id=lead,
            occurred_at=occurred_at,
            category=category,
            base_price_kopecks=price,
            amount_kopecks=amount,
            rule=rule,
            origin_key=origin if origin != key else "",
        )


async def ensure_period(session: AsyncSession, week: Week) -> SettlementPeriod:
    row = await period(session, week)
    if row is None:
        row = SettlementPeriod(week=week.name, starts_at=week.starts_at, ends_at=week.ends_at)
        session.add(row)
        await session.flush()
    return row


async def freeze(
    session: AsyncSession, week: Week, lines: AsyncIterator[Line], now: datetime
) -> tuple[int, int]:
    """Store the week's lines in batches and mark it frozen; returns (lines, total kopecks)."""
    row = await ensure_period(session, week)
    count = total = 0
    batch: list[dict[str, Any]] = []
    async for line in lines:
        batch.append(_line_row(week, line))
        count, total = count + 1, total + line.amount_kopecks
        if len(batch) >= BATCH:
            await session.execute(insert(SettlementLine), batch)
            batch = []
    if batch:
        await session.execute(insert(SettlementLine), batch)
    row.frozen_at, row.line_count, row.total_kopecks = now, count, total
    return count, total


def _line_row(week: Week, line: Line) -> dict[str, Any]:
    return {
        "week": week.name,
        "line_key": line.key,
        "origin_key": line.origin,
        "kind": line.kind,
        "avito_lead_id": line.avito_lead_id,
        "occurred_at": line.occurred_at,
        "category": line.category,
        "base_price_kopecks": line.base_price_kopecks,
        "amount_kopecks": line.amount_kopecks,
        "rule": line.rule,
    }


async def record_diff(
    session: AsyncSession,
    week: Week,
    diff: Diff,
    now: datetime,
    quarantined: Sequence[QuarantinedLine] = (),
) -> None:
    """Keep the last diff of the week, with Avito's lines it could not read (after the
    discrepancies): the previous one is replaced, not accumulated."""
    row = await ensure_period(session, week)
    row.checked_at, row.matched = now, diff.matched
    await session.execute(delete(SettlementException).where(SettlementException.week == week.name))
    values: list[dict[str, Any]] = [
        {
            "week": week.name,
            "outcome": item.outcome,
            "line_key": item.key,
            "avito_lead_id": item.avito_lead_id,
            "kind": item.kind,
            "our_kopecks": item.our_kopecks,
            "avito_kopecks": item.avito_kopecks,
            "checked_at": now,
            "reason": None,
        }
        for item in diff.discrepancies
    ]
    values += [
        {
            "week": week.name,
            "outcome": QUARANTINED,
            "line_key": line.key,
            "avito_lead_id": line.avito_lead_id,
            "kind": line.kind,
            "our_kopecks": None,
            "avito_kopecks": None,
            "checked_at": now,
            "reason": line.reason,
        }
        for line in quarantined
    ]
    if values:
        await session.execute(insert(SettlementException), values)


async def money_span(
    session: AsyncSession, *, bought_out: str, returned: str
) -> tuple[datetime, datetime] | None:
    """The first and last moment of an acknowledged money status, if any."""
    query = select(func.min(OutboxItem.occurred_at), func.max(OutboxItem.occurred_at)).where(
        OutboxItem.status.in_((bought_out, returned)), OutboxItem.state == OutboxState.SENT
    )
    first, last = (await session.execute(query)).one()
    return None if first is None or last is None else (first, last)


async def periods(session: AsyncSession, limit: int) -> Sequence[SettlementPeriod]:
    """The latest settled or checked weeks, newest first (ISO names sort by date)."""
    query = select(SettlementPeriod).order_by(SettlementPeriod.week.desc()).limit(limit)
    return (await session.scalars(query)).all()


async def exceptions(session: AsyncSession, week: Week) -> Sequence[SettlementException]:
    """The last diff's discrepancies of the week, in the order the diff found them."""
    query = (
        select(SettlementException)
        .where(SettlementException.week == week.name)
        .order_by(SettlementException.id)
    )
    return (await session.scalars(query)).all()
