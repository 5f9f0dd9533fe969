"""The append-only log of stage changes. Nothing here updates or deletes a row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import StatusChange
from leadbridge.store.upsert import insert_ignoring_conflict

KEYS_PER_QUERY = 500


async def append(session: AsyncSession, change: StatusChange) -> bool:
    """Log a change; False when the same change (by key) was already logged."""
    values = {
        column.key: getattr(change, column.key)
        for column in StatusChange.__table__.columns
        if column.key != "id"
    }
    inserted = await insert_ignoring_conflict(
        session,
        StatusChange,
        values,
        ["change_key"],
    )
    return inserted is not None


async def has_change(session: AsyncSession, change_key: str) -> bool:
    found = await session.scalar(
        select(StatusChange.id).where(StatusChange.change_key == change_key).limit(1)
    )
    return found is not None


async def logged_keys(session: AsyncSession, change_keys: Iterable[str]) -> set[str]:
    """Which of these changes are logged already, a few hundred keys to a query (SQLite's
    bound-parameter limit)."""
    wanted, found = list(dict.fromkeys(change_keys)), set[str]()
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        chunk = wanted[start : start + KEYS_PER_QUERY]
        statement = select(StatusChange.change_key).where(StatusChange.change_key.in_(chunk))
        found.update(await session.scalars(statement))
    return found


async def for_lead(session: AsyncSession, lead_id: int) -> Sequence[StatusChange]:
    statement = (
        select(StatusChange).where(StatusChange.lead_id == lead_id).order_by(StatusChange.id)
    )
    return (await session.scalars(statement)).all()


async def latest_at(session: AsyncSession) -> datetime | None:
    statement = select(StatusChange.recorded_at).order_by(StatusChange.id.desc()).limit(1)
    result: datetime | None = await session.scalar(statement)
    return result
