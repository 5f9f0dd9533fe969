"""OAuth tokens: one small row per provider, read and rewritten under a lock.

Tokens are encrypted at rest by their column type (`store/sealed.py`): code here and in the
clients sees plain values.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from leadbridge.store import sealed
from leadbridge.store.tables import OAuthToken


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


async def reseal_tokens(session: AsyncSession) -> int:
    """Rewrite every token not sealed with the first key (plain, or under an older key);
    returns how many rows changed."""
    stale = await _stale_providers(session)
    for provider in stale:
        row = await session.get(OAuthToken, provider)
        assert row is not None
        # Marked changed, the plain values are written again: the column seals them anew.
        flag_modified(row, "access_token")
        flag_modified(row, "refresh_token")
    await session.flush()
    return len(stale)


async def _stale_providers(session: AsyncSession) -> list[str]:
    # type_coerce reads the stored text itself, before the column would open it.
    statement = select(
        OAuthToken.provider,
        type_coerce(OAuthToken.access_token, Text),
        type_coerce(OAuthToken.refresh_token, Text),
    )
    current = sealed.cipher().is_current
    return [
        provider
        for provider, access, refresh in (await session.execute(statement)).all()
        if not (current(access) and (refresh is None or current(refresh)))
    ]
