"""What /readyz and /metrics read: is the database there, how far behind is intake."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import InboxEvent


async def ping(session: AsyncSession) -> None:
    await session.execute(text("SELECT 1"))


async def oldest_unprocessed_by_source(session: AsyncSession) -> dict[str, datetime]:
    statement = (
        select(InboxEvent.source, func.min(InboxEvent.received_at))
        .where(InboxEvent.processed_at.is_(None))
        .group_by(InboxEvent.source)
    )
    return {source: at for source, at in (await session.execute(statement)).all()}
