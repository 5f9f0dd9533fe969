"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def driver_url(url: str, *, asynchronous: bool) -> URL:
    """The user writes `sqlite:///…` or `postgresql://…`; pick the drivers leadbridge ships."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite" if asynchronous else "sqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = _create_engine(url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Inside one process, waiting in a FIFO lock is fair;
        # SQLite's own busy handler polls, and under a burst of webhooks a waiter can starve.
        self._writer = asyncio.Lock() if not self.is_postgres else None
        self._reader: AsyncEngine | None = None

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with contextlib.AsyncExitStack() as stack:
            if self._writer is not None:
                await stack.enter_async_context(self._writer)
            session = await stack.enter_async_context(self._sessions())
            await stack.enter_async_context(session.begin())
            yield session

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction that holds no write lock, for a long read (a week's
        settlement) that must not stop the flows. On SQLite: a deferred BEGIN on a connection of
        its own with `query_only` on, which in WAL mode reads one consistent state while writers
        go on committing; `transaction()` takes the write lock at BEGIN instead. On PostgreSQL:
        a READ ONLY transaction of the same engine."""
        engine = self.engine if self.is_postgres else self._reading_engine()
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            if self.is_postgres:
                await session.execute(text("SET TRANSACTION READ ONLY"))
            yield session

    def _reading_engine(self) -> AsyncEngine:
        if self._reader is None:
            target = driver_url(self.url, asynchronous=True)
            timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
            self._reader = create_async_engine(target, connect_args={"timeout": timeout})
            _make_sqlite_reads_deferred(self._reader)
        return self._reader

    async def dispose(self) -> None:
        if self._reader is not None:
            await self._reader.dispose()
        await self.engine.dispose()


def _create_engine(url: str) -> AsyncEngine:
    target = driver_url(url, asynchronous=True)
    if target.get_backend_name() != "sqlite":
        return create_async_engine(target, pool_pre_ping=True, pool_size=10)
    engine = create_async_engine(target, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    _make_sqlite_transactions_immediate(engine)
    return engine


def _make_sqlite_transactions_immediate(engine: AsyncEngine) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE.

    A deferred SQLite transaction that reads and then writes fails at once with SQLITE_BUSY when
    another writer committed in between; taking the write lock at BEGIN makes it wait instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _make_sqlite_reads_deferred(engine: AsyncEngine) -> None:
    """The reading engine's connections refuse writes and begin without a lock: SQLite takes
    a read snapshot at the first SELECT and never blocks a writer for it in WAL mode."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN DEFERRED")
