"""The shared rate limiter's SQL: GCRA with one atomic `UPDATE … RETURNING` per request.

Every process that calls a limited method reserves its slot here, so N workers together stay
within the partner's limit. Times come from the database's clock, never the caller's: workers
on several machines agree on "now" without synchronised clocks. Only relative waits leave here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from leadbridge.store.tables import RateLimitState
from leadbridge.store.upsert import dialect_name, insert_ignoring_conflict


@dataclass(frozen=True, slots=True)
class Reservation:
    at: float  # when the request may start, database clock, seconds since the epoch
    wait_s: float  # how long the caller sleeps before sending


def _db_now(session: AsyncSession) -> ColumnElement[Any]:
    """The database's clock in epoch seconds, constant within one statement."""
    if dialect_name(session) == "postgresql":
        return func.extract("epoch", func.statement_timestamp())
    # 'now' is fixed for the duration of one sqlite3_step(), i.e. one statement.
    return (func.julianday("now") - 2440587.5) * 86400.0


async def reserve(
    session: AsyncSession, key: str, *, interval_s: float, extra_s: float = 0.0
) -> Reservation:
    """Take the next slot of `key`: slots are `interval_s` apart and never in the past; `extra_s`
    moves this slot, and every later one, that much further.

    The slot is reserved even if the caller later gives up; a wasted slot only slows down.
    """
    now = _db_now(session)
    statement = (
        update(RateLimitState)
        .where(RateLimitState.key == key)
        .values(tat=_greatest(session, RateLimitState.tat, now) + (extra_s + interval_s))
        .returning(RateLimitState.tat, now.label("now"))
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:  # the key's first use ever: make its row, then take the slot as usual
        await _create(session, key)
        row = (await session.execute(statement)).one()
    at = float(row.tat) - interval_s
    return Reservation(at=at, wait_s=max(at - float(row.now), 0.0))


async def push_back(session: AsyncSession, key: str, *, seconds: float) -> None:
    """Admit nothing for `key` until `seconds` from now (the partner said slow down)."""
    await _create(session, key)
    later = _db_now(session) + seconds
    await session.execute(
        update(RateLimitState)
        .where(RateLimitState.key == key)
        .values(tat=_greatest(session, RateLimitState.tat, later))
    )


async def _create(session: AsyncSession, key: str) -> None:
    values = {"key": key, "tat": 0.0}
    await insert_ignoring_conflict(session, RateLimitState, values, ["key"], returning="key")


async def now(session: AsyncSession) -> float:
    return float(await session.scalar(select(_db_now(session))) or 0.0)


def _greatest(session: AsyncSession, left: Any, right: Any) -> ColumnElement[Any]:
    # SQLite spells GREATEST as the two-argument scalar max().
    name = "greatest" if dialect_name(session) == "postgresql" else "max"
    return getattr(func, name)(left, right)  # type: ignore[no-any-return]
