"""What the alert rules read from our own records: each a count and the oldest item's time,
cheap enough to ask every half minute (aggregates over indexed columns)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.alert_rules import Backlog
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store.tables import (
    InboxEvent,
    Lead,
    OutboxItem,
    ReconciliationItem,
    ReconciliationRun,
    SendAttempt,
    SettlementException,
    SettlementPeriod,
)


async def parked(session: AsyncSession) -> Backlog:
    """Parked statuses, and when the oldest was parked: its last send attempt (the refusal
    that parked it), or its creation when a person parked it before any."""
    parked_at = (
        select(
            OutboxItem.id.label("id"),
            func.coalesce(func.max(SendAttempt.attempted_at), OutboxItem.created_at).label("at"),
        )
        .join(SendAttempt, SendAttempt.outbox_id == OutboxItem.id, isouter=True)
        .where(OutboxItem.state == OutboxState.PARKED)
        .group_by(OutboxItem.id, OutboxItem.created_at)
        .subquery()
    )
    row = (
        await session.execute(select(func.count(parked_at.c.id), func.min(parked_at.c.at)))
    ).one()
    return Backlog(int(row[0]), row[1])


async def pending(session: AsyncSession) -> Backlog:
    """Statuses not yet accepted by Avito (waiting, being sent or retried)."""
    row = (
        await session.execute(
            select(func.count(OutboxItem.id), func.min(OutboxItem.created_at)).where(
                OutboxItem.state.in_((OutboxState.PENDING, OutboxState.SENDING))
            )
        )
    ).one()
    return Backlog(int(row[0]), row[1])


async def inbox(session: AsyncSession) -> Backlog:
    """Received events not processed yet (a quarantined event counts as processed)."""
    row = (
        await session.execute(
            select(func.count(InboxEvent.id), func.min(InboxEvent.received_at)).where(
                InboxEvent.processed_at.is_(None)
            )
        )
    ).one()
    return Backlog(int(row[0]), row[1])


async def quarantined(session: AsyncSession, source: str) -> Backlog:
    """`source`'s events in quarantine, not replayed."""
    row = (
        await session.execute(
            select(func.count(InboxEvent.id), func.min(InboxEvent.quarantined_at)).where(
                InboxEvent.source == source,
                InboxEvent.quarantined_at.is_not(None),
                InboxEvent.replayed_at.is_(None),
            )
        )
    ).one()
    return Backlog(int(row[0]), row[1])


async def last_reconciliation(session: AsyncSession) -> Backlog | None:
    """Differences left to a person by the last finished reconciliation, as of its end; None
    before the first run."""
    run = (
        await session.execute(
            select(ReconciliationRun.id, ReconciliationRun.finished_at)
            .where(ReconciliationRun.finished_at.is_not(None))
            .order_by(ReconciliationRun.id.desc())
            .limit(1)
        )
    ).first()
    if run is None:
        return None
    count = await session.scalar(
        select(func.count(ReconciliationItem.id)).where(
            ReconciliationItem.run_id == run[0], ReconciliationItem.action == "person"
        )
    )
    return Backlog(int(count or 0), run[1])


async def last_settlement_check(session: AsyncSession) -> tuple[str, Backlog] | None:
    """The week most recently compared with Avito's settlement and its differences."""
    period = (
        await session.execute(
            select(SettlementPeriod.week, SettlementPeriod.checked_at)
            .where(SettlementPeriod.checked_at.is_not(None))
            .order_by(SettlementPeriod.checked_at.desc())
            .limit(1)
        )
    ).first()
    if period is None:
        return None
    count = await session.scalar(
        select(func.count(SettlementException.id)).where(SettlementException.week == period[0])
    )
    return period[0], Backlog(int(count or 0), period[1])


async def request_span(session: AsyncSession) -> tuple[datetime | None, datetime | None]:
    """When the first and the newest request were made on Avito."""
    row = (
        await session.execute(
            select(func.min(Lead.avito_created_at), func.max(Lead.avito_created_at))
        )
    ).one()
    return row[0], row[1]


async def requests_between(
    session: AsyncSession, windows: Sequence[tuple[datetime, datetime]]
) -> int:
    """Requests made on Avito within any of `windows` ([start, end)), summed."""
    total = 0
    for start, end in windows:
        count = await session.scalar(
            select(func.count(Lead.id)).where(
                Lead.avito_created_at >= start, Lead.avito_created_at < end
            )
        )
        total += int(count or 0)
    return total
