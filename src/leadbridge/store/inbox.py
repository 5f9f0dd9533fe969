"""Inbox: raw events exactly as received, deduplicated by a unique key per source.

An event that can never be processed is quarantined: marked processed (so it leaves the backlog
and the lag) with `quarantined_at` and its reason in `error`, for a person to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import InboxEvent
from leadbridge.store.upsert import dialect_name, insert_ignoring_conflict, insert_new_rows


async def add_if_new(
    session: AsyncSession,
    *,
    source: str,
    event_key: str,
    channel: str,
    body: str,
    now: datetime,
    quarantine_reason: str | None = None,
) -> int | None:
    """Store an event; None when the same (source, key) was already stored. With a
    `quarantine_reason` it is stored already set aside: known to be unprocessable."""
    values: dict[str, object] = {
        "source": source,
        "event_key": event_key,
        "channel": channel,
        "body": body,
        "received_at": now,
        "attempts": 0,
    }
    if quarantine_reason is not None:
        values |= {"processed_at": now, "quarantined_at": now, "error": quarantine_reason}
    inserted = await insert_ignoring_conflict(session, InboxEvent, values, ["source", "event_key"])
    return int(inserted) if inserted is not None else None


async def add_processed(
    session: AsyncSession, events: Sequence[tuple[str, str, str]], now: datetime
) -> set[str]:
    """Store `(event_key, channel, body)` events of Avito's, processed as they are stored (their
    work done in the same transaction); the keys that were new."""
    return await add_avito_events(session, events, now, processed=True)


async def add_avito_events(
    session: AsyncSession,
    events: Sequence[tuple[str, str, str]],
    now: datetime,
    *,
    processed: bool,
) -> set[str]:
    """Store `(event_key, channel, body)` events of Avito's, once each: the keys that were new.
    Unprocessed ones wait for their flow."""
    rows = [
        {
            "source": "avito",
            "event_key": key,
            "channel": channel,
            "body": body,
            "received_at": now,
            "processed_at": now if processed else None,
            "attempts": 0,
        }
        for key, channel, body in events
    ]
    return await insert_new_rows(session, InboxEvent, rows, ["source", "event_key"], "event_key")


async def unprocessed(
    session: AsyncSession, source: str, limit: int, now: datetime, *, key_prefix: str = ""
) -> Sequence[InboxEvent]:
    """Events of `source` not processed yet and due, oldest first, locked against a second
    worker (Postgres). `key_prefix` keeps to one kind of event of a source that has several."""
    statement = (
        select(InboxEvent)
        .where(
            InboxEvent.source == source,
            InboxEvent.event_key.startswith(key_prefix) if key_prefix else true(),
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
    """Look at the event again later; a wait, not a failure (`attempts` counts failures)."""
    await session.execute(
        update(InboxEvent).where(InboxEvent.id == event_id).values(next_attempt_at=next_attempt_at)
    )


async def failed(
    session: AsyncSession, event_id: int, error: str, next_attempt_at: datetime
) -> None:
    """One more failed try, the last error kept; the event is tried again at `next_attempt_at`."""
    await session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event_id)
        .values(attempts=InboxEvent.attempts + 1, next_attempt_at=next_attempt_at, error=error)
    )


async def quarantine(session: AsyncSession, event_id: int, reason: str, now: datetime) -> None:
    await session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event_id)
        .values(
            attempts=InboxEvent.attempts + 1, processed_at=now, quarantined_at=now, error=reason
        )
    )


async def quarantined(
    session: AsyncSession, *, limit: int, offset: int = 0
) -> tuple[int, Sequence[InboxEvent]]:
    """How many events are quarantined, and a page of them, the newest first."""
    where = InboxEvent.quarantined_at.is_not(None)
    total = int(await session.scalar(select(func.count()).where(where)) or 0)
    statement = (
        select(InboxEvent)
        .where(where)
        .order_by(InboxEvent.quarantined_at.desc(), InboxEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, (await session.scalars(statement)).all()


async def held_back(
    session: AsyncSession, source: str, ids: Sequence[int] | None = None
) -> Sequence[InboxEvent]:
    """A sender's events in quarantine and not replayed yet, oldest first (the order they came
    in); only those of `ids` when given."""
    statement = (
        select(InboxEvent)
        .where(
            InboxEvent.source == source,
            InboxEvent.quarantined_at.is_not(None),
            InboxEvent.replayed_at.is_(None),
        )
        .order_by(InboxEvent.id)
    )
    if ids is not None:
        statement = statement.where(InboxEvent.id.in_(ids))
    return (await session.scalars(statement)).all()


async def mark_replayed(
    session: AsyncSession, event_ids: Sequence[int], *, actor: str, now: datetime
) -> None:
    """The events were interpreted again and went on; `error` keeps why they were held back."""
    if event_ids:
        await session.execute(
            update(InboxEvent)
            .where(InboxEvent.id.in_(event_ids))
            .values(replayed_at=now, replayed_by=actor)
        )


async def still_held(session: AsyncSession, event_id: int, reason: str) -> None:
    """A replay found the event still uninterpretable: its reason is brought up to date."""
    await session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event_id)
        .values(attempts=InboxEvent.attempts + 1, error=reason)
    )


async def quarantined_by_source(session: AsyncSession) -> dict[str, int]:
    """How many events of each sender are in quarantine and not replayed (for a gauge when
    /metrics is read)."""
    statement = (
        select(InboxEvent.source, func.count())
        .where(InboxEvent.quarantined_at.is_not(None), InboxEvent.replayed_at.is_(None))
        .group_by(InboxEvent.source)
    )
    return {source: int(count) for source, count in await session.execute(statement)}


async def backlog(session: AsyncSession) -> int:
    statement = select(func.count()).where(InboxEvent.processed_at.is_(None))
    return int(await session.scalar(statement) or 0)
