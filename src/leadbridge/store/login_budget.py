"""Login attempts per key in a window, counted in the database so that every web process and
every concurrent request draws on the same budget.

`spend` counts an attempt and returns the count including it, in one INSERT … ON CONFLICT DO
UPDATE … RETURNING: PostgreSQL locks the row for the update and SQLite holds its write lock, so
N concurrent attempts get the counts 1…N and never the same one twice.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import LoginBudget
from leadbridge.store.upsert import dialect_name

WINDOW_S = 60.0


async def spend(session: AsyncSession, key: str, now: float) -> int:
    """Count one attempt of `key`; returns the attempts in its current window, this one too."""
    table = cast(Table, LoginBudget.__table__)
    dialect = postgresql if dialect_name(session) == "postgresql" else sqlite
    insert = dialect.insert(table).values(key=key, window_start=now, attempts=1)
    over = table.c.window_start <= now - WINDOW_S
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "attempts": case((over, 1), else_=table.c.attempts + 1),
            "window_start": case((over, now), else_=table.c.window_start),
        },
    ).returning(table.c.attempts)
    return int((await session.execute(statement)).scalar_one())


async def refund(session: AsyncSession, key: str) -> None:
    """Give back an attempt that turned out to be the right password: only failures count."""
    await session.execute(
        update(LoginBudget)
        .where(LoginBudget.key == key, LoginBudget.attempts > 0)
        .values(attempts=LoginBudget.attempts - 1)
    )


async def forget_old(session: AsyncSession, now: float) -> None:
    """Drop windows long over, so that guessed user names do not pile up."""
    await session.execute(delete(LoginBudget).where(LoginBudget.window_start <= now - WINDOW_S))
