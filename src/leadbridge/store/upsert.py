"""INSERT … ON CONFLICT DO NOTHING for both dialects: the basis of every idempotent write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def dialect_name(session: AsyncSession) -> str:
    bind = session.bind
    assert bind is not None, "sessions are always bound to the engine"
    return bind.dialect.name


async def insert_ignoring_conflict(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
    returning: str = "id",
) -> Any | None:
    """Insert a row unless it collides on `conflict_columns`; return `returning` or None."""
    table = cast(Table, model.__table__)
    dialect = postgresql if dialect_name(session) == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(table.c[returning])
    )
    result = await session.execute(statement)
    return result.scalar_one_or_none()


async def insert_many_ignoring_conflict(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str],
) -> None:
    """The same for many rows, in one executemany; colliding rows are skipped."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    dialect = postgresql if dialect_name(session) == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    await session.execute(statement, list(rows))


async def insert_new_rows(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str],
    returning: str,
) -> set[Any]:
    """The same for many rows; the `returning` values of the rows inserted (a row that collides
    is not among them). The rows must have the same keys."""
    if not rows:
        return set()
    table = cast(Table, model.__table__)
    dialect = postgresql if dialect_name(session) == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(table.c[returning])
    )
    # Given as parameter sets, not as `.values(rows)`: SQLAlchemy then compiles the statement
    # once (cached) and sends the rows in multi-row batches ("insertmanyvalues"); a statement
    # holding the rows' values is compiled anew each time, which cost more than the database.
    return set((await session.scalars(statement, list(rows))).all())
