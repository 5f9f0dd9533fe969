"""Where each pull feed stopped (the Avito lead feed, the amoCRM events catch-up), by name: one
small row per feed, rewritten after every page or window so a restart goes on from there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import Cursor


async def cursor(session: AsyncSession, name: str) -> str | None:
    row = await session.get(Cursor, name)
    return row.value if row else None


async def save_cursor(session: AsyncSession, name: str, value: str, now: datetime) -> None:
    row = await session.get(Cursor, name)
    if row is None:
        session.add(Cursor(name=name, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
    await session.flush()
