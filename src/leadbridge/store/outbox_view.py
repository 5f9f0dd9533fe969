"""The outbox as the dashboard shows it: what needs a person, and what people did."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store.tables import OperatorAction, OutboxItem


async def needing_attention(session: AsyncSession, limit: int) -> Sequence[OutboxItem]:
    """Parked items first, then pending ones that failed at least once, oldest first."""
    statement = (
        select(OutboxItem)
        .where(
            (OutboxItem.state == OutboxState.PARKED)
            | ((OutboxItem.state == OutboxState.PENDING) & (OutboxItem.attempts > 0))
        )
        .order_by((OutboxItem.state == OutboxState.PARKED).desc(), OutboxItem.id)
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def item(session: AsyncSession, item_id: int) -> OutboxItem | None:
    return await session.get(OutboxItem, item_id)


async def recent_actions(
    session: AsyncSession, limit: int
) -> Sequence[tuple[OperatorAction, OutboxItem]]:
    statement = (
        select(OperatorAction, OutboxItem)
        .join(OutboxItem, OutboxItem.id == OperatorAction.outbox_id)
        .order_by(OperatorAction.id.desc())
        .limit(limit)
    )
    return [(action, target) for action, target in (await session.execute(statement)).all()]


async def waiting(session: AsyncSession, limit: int) -> Sequence[OutboxItem]:
    """Statuses waiting for their turn, oldest first (the demo parks one of them on purpose)."""
    statement = (
        select(OutboxItem)
        .where(OutboxItem.state == OutboxState.PENDING)
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    return (await session.scalars(statement)).all()
