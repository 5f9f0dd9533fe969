"""The shared rate limiter's SQL: `limit` tokens per limited method, one per admitted request.

A request holds a token from before it is sent until a window after its answer. The partner saw
the request somewhere in between, so no window of the partner's can hold more requests than
there are tokens, however long requests take or however late a busy process sends them. Every
process that calls the method takes its tokens here, so N workers together stay within the
limit. Times come from the database's clock, never the caller's: workers on several machines
agree on "now" without synchronised clocks. Only relative waits leave here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from leadbridge.store.tables import RateLimitToken
from leadbridge.store.upsert import dialect_name, insert_many_ignoring_conflict


@dataclass(frozen=True, slots=True)
class Taken:
    token: int | None  # None: every token is busy
    now: float  # the database's clock when asked
    free_at: float | None = None  # without a token: when the first busy one is due back
    paused_until: float = 0.0  # the partner's pause, if any, ends then


def _db_now(session: AsyncSession) -> ColumnElement[Any]:
    """The database's clock in epoch seconds, constant within one statement."""
    if dialect_name(session) == "postgresql":
        return func.extract("epoch", func.statement_timestamp())
    # 'now' is fixed for the duration of one sqlite3_step(), i.e. one statement.
    return (func.julianday("now") - 2440587.5) * 86400.0


async def provide(session: AsyncSession, key: str, limit: int) -> None:
    """Make sure `key` has exactly `limit` tokens (the limit may have been changed)."""
    rows = [
        {"key": key, "token": token, "busy_until": 0.0, "paused_until": 0.0}
        for token in range(limit)
    ]
    await insert_many_ignoring_conflict(session, RateLimitToken, rows, ["key", "token"])
    await session.execute(
        delete(RateLimitToken).where(RateLimitToken.key == key, RateLimitToken.token >= limit)
    )


async def take(session: AsyncSession, key: str, *, hold_s: float) -> Taken:
    """Take a free token of `key` for a request about to be sent. It stays busy for `hold_s`
    unless released sooner: a process that dies mid-request loses its token only that long."""
    now = _db_now(session)
    free = (
        select(RateLimitToken.token)
        .where(RateLimitToken.key == key, RateLimitToken.busy_until <= now)
        .order_by(RateLimitToken.busy_until)
        .limit(1)
    )
    if dialect_name(session) == "postgresql":
        free = free.with_for_update(skip_locked=True)
    # The repeated condition matters when two takers picked the same token: the one that waited
    # for the other's row lock re-checks it and gets nothing rather than a taken token.
    statement = (
        update(RateLimitToken)
        .where(
            RateLimitToken.key == key,
            RateLimitToken.token == free.scalar_subquery(),
            RateLimitToken.busy_until <= now,
        )
        .values(busy_until=now + hold_s)
        .returning(RateLimitToken.token, now.label("now"))
    )
    row = (await session.execute(statement)).one_or_none()
    if row is not None:
        return Taken(token=int(row.token), now=float(row.now))
    busy = select(
        func.min(RateLimitToken.busy_until), func.max(RateLimitToken.paused_until), now
    ).where(RateLimitToken.key == key)
    free_at, paused_until, at = (await session.execute(busy)).one()
    return Taken(
        token=None,
        now=float(at),
        free_at=float(free_at) if free_at is not None else None,
        paused_until=float(paused_until or 0.0),
    )


async def peek(session: AsyncSession, key: str) -> Taken:
    """Whether `key` has a free token now (`token` is one of them), taking none."""
    now = _db_now(session)
    free = select(RateLimitToken.token).where(
        RateLimitToken.key == key, RateLimitToken.busy_until <= now
    )
    state = select(
        free.limit(1).scalar_subquery(),
        func.min(RateLimitToken.busy_until),
        func.max(RateLimitToken.paused_until),
        now,
    ).where(RateLimitToken.key == key)
    token, free_at, paused_until, at = (await session.execute(state)).one()
    return Taken(
        token=int(token) if token is not None else None,
        now=float(at),
        free_at=float(free_at) if free_at is not None else None,
        paused_until=float(paused_until or 0.0),
    )


async def release(session: AsyncSession, key: str, token: int, *, cool_s: float) -> None:
    """The answer is in: the token is free again a window from now (or after a pause)."""
    now = _db_now(session)
    await session.execute(
        update(RateLimitToken)
        .where(RateLimitToken.key == key, RateLimitToken.token == token)
        .values(busy_until=_greatest(session, now + cool_s, RateLimitToken.paused_until))
    )


async def pause(session: AsyncSession, key: str, *, seconds: float) -> None:
    """Admit nothing for `key` until `seconds` from now (the partner said slow down)."""
    if dialect_name(session) == "postgresql":
        # Several callers hit by one 429 storm pause together: each takes the key's rows in the
        # same order first, or two updates of all rows can deadlock on each other.
        in_order = select(RateLimitToken.token).where(RateLimitToken.key == key)
        await session.execute(in_order.order_by(RateLimitToken.token).with_for_update())
    later = _db_now(session) + seconds
    await session.execute(
        update(RateLimitToken)
        .where(RateLimitToken.key == key)
        .values(
            busy_until=_greatest(session, RateLimitToken.busy_until, later),
            paused_until=_greatest(session, RateLimitToken.paused_until, later),
        )
    )


async def now(session: AsyncSession) -> float:
    return float(await session.scalar(select(_db_now(session))) or 0.0)


def _greatest(session: AsyncSession, left: Any, right: Any) -> ColumnElement[Any]:
    # SQLite spells GREATEST as the two-argument scalar max().
    name = "greatest" if dialect_name(session) == "postgresql" else "max"
    return getattr(func, name)(left, right)  # type: ignore[no-any-return]
