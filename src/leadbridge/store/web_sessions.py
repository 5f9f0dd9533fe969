"""Server-side dashboard sessions: made at login, looked up on every page, deleted to end them.

The browser holds a random token; the table holds its SHA-256, so the token of a live session
is nowhere at rest. Every web process reads the same rows: a logout in one ends the session in
all of them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import DashboardUser, WebSession

# `last_seen_at` is rewritten at most this often: a page view is then a read, not a write,
# and the idle timeout is late by at most this much.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta


async def start(session: AsyncSession, user_id: int, now: datetime) -> str:
    """A new session of `user_id`; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(token_hash=_hash(token), user_id=user_id, created_at=now, last_seen_at=now)
    )
    await session.flush()
    return token


async def user_of(
    session: AsyncSession, token: str, now: datetime, timeouts: Timeouts
) -> DashboardUser | None:
    """The user of a live session, or None; a session past either timeout is deleted."""
    statement = (
        select(WebSession, DashboardUser)
        .join(DashboardUser, DashboardUser.id == WebSession.user_id)
        .where(WebSession.token_hash == _hash(token))
    )
    found = (await session.execute(statement)).one_or_none()
    if found is None:
        return None
    row, user = found
    if now - row.last_seen_at >= timeouts.idle or now - row.created_at >= timeouts.absolute:
        await session.execute(delete(WebSession).where(WebSession.token_hash == row.token_hash))
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        await session.execute(
            update(WebSession)
            .where(WebSession.token_hash == row.token_hash)
            .values(last_seen_at=now)
        )
    return user


async def end(session: AsyncSession, token: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))


async def end_all_of(session: AsyncSession, user_id: int) -> int:
    """End every session of a user (new password, removal); returns how many."""
    result = await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_expired(session: AsyncSession, now: datetime, timeouts: Timeouts) -> None:
    """Delete sessions nobody can use any more (abandoned without logout)."""
    await session.execute(
        delete(WebSession).where(
            or_(
                WebSession.last_seen_at <= now - timeouts.idle,
                WebSession.created_at <= now - timeouts.absolute,
            )
        )
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
