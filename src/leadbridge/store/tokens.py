"""OAuth tokens and feed cursors: small rows read and rewritten under a lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import Cursor, OAuthToken


async def token(session: AsyncSession, provider: str, *, lock: bool = False) -> OAuthToken | None:
    """With `lock`, the row stays locked until the transaction ends (PostgreSQL); on SQLite the
    transaction already holds the database's write lock."""
    statement = select(OAuthToken).where(OAuthToken.provider == provider)
    if lock:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def save_token(
    session: AsyncSession,
    provider: str,
    *,
    access_token: str,
    refresh_token: str | None,
    expires_at: datetime,
    now: datetime,
) -> None:
    row = await session.get(OAuthToken, provider)
    if row is None:
        row = OAuthToken(provider=provider)
        session.add(row)
    row.access_token = access_token
    row.refresh_token = refresh_token
    row.expires_at = expires_at
    row.updated_at = now
    await session.flush()


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
