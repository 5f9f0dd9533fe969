"""Inbox: raw events exactly as received, deduplicated by a unique key per source."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import InboxEvent
from leadbridge.store.upsert import dialect_name, insert_ignoring_conflict


async def add_if_new(
    session: AsyncSession, *, source: str, event_key: str, channel: str, body: str, now: datetime
) -> int | None:
    """Store an event; None when the same (source, key) was already stored."""
    values = {
        "source": source,
        "event_key": event_key,
        "channel": channel,
        "body": body,
        "received_at": now,
        "attempts": 0,
    }
    inserted = await insert_ignoring_conflict(
        session,
        InboxEvent,
        values,
        ["source", "event_key"],
    )
    return int(inserted) if inserted is not None else None


async def unprocessed(
    session: AsyncSession, source: str, limit: int, now: datetime
) -> Sequence[InboxEvent]:
    statement = (
        select(InboxEvent)
        .where(
            InboxEvent.source == source,
            InboxEvent.processed_at.is_(None),
            or_(InboxEvent.next_attempt_at.is_(None), InboxEvent.next_attempt_at <= now),
        )
        .order_by(InboxEvent.id)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return (await session.scalars(statement)).all()


async def mark_processed(
    session: AsyncSession, event_id: int, now: datetime, error: str | None = None
) -> None:
    await session.execute(
        update(InboxEvent).where(InboxEvent.id == event_id).values(processed_at=now, error=error)
    )


async def retry_later(session: AsyncSession, event_id: int, next_attempt_at: datetime) -> None:
    await session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event_id)
        .values(attempts=InboxEvent.attempts + 1, next_attempt_at=next_attempt_at)
    )


async def backlog(session: AsyncSession) -> int:
    statement = select(func.count()).where(InboxEvent.processed_at.is_(None))
    return int(await session.scalar(statement) or 0)
