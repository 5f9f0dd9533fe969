"""Election: periodic jobs (events catch-up, feed pull, reconciliation, settlement) run in exactly
one process.

On PostgreSQL the leader of a job holds a session-level advisory lock on a connection of its own:
the lock lives exactly as long as that connection, so a process that dies or loses its connection
loses its leadership, and the server hands the lock to the next process that asks. Non-leaders
ask again each time their loop comes round. On SQLite there is one process: it leads everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from typing import Protocol

import psycopg
import structlog

from leadbridge.store import notify
from leadbridge.store.database import Database

log = structlog.get_logger(__name__)


class Election(Protocol):
    async def is_leader(self, job: str) -> bool:
        """Whether this process runs `job` now; asking again may win a leadership lost by
        another process."""

    async def aclose(self) -> None:
        """Give up every leadership (on shutdown), so another process takes over at once."""

    def exclusive(self, job: str) -> contextlib.AbstractAsyncContextManager[None]:
        """A one-off job (amoCRM provisioning at start) run by one process at a time: the
        others wait for it, then find its work done."""


class SoleLeader:
    async def is_leader(self, job: str) -> bool:
        return True

    def exclusive(self, job: str) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()

    async def aclose(self) -> None:
        pass


class AdvisoryLockElection:
    def __init__(self, url: str) -> None:
        self._conninfo = notify.conninfo(url)
        self._connection: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._held: set[str] = set()
        self._lock = asyncio.Lock()  # one statement at a time on the one connection

    async def is_leader(self, job: str) -> bool:
        async with self._lock:
            try:
                return await self._lead(job)
            except (psycopg.Error, OSError) as error:
                # The connection is gone, and with it every lock it held.
                log.warning("election.connection_lost", job=job, error=type(error).__name__)
                await self._drop()
                return False

    @contextlib.asynccontextmanager
    async def exclusive(self, job: str) -> AsyncIterator[None]:
        # A connection of its own: waiting for the lock must not hold up `is_leader`.
        async with await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True
        ) as connection:
            await connection.execute("SELECT pg_advisory_lock(%s)", (lock_key(job),))
            try:
                yield
            finally:
                with contextlib.suppress(psycopg.Error, OSError):
                    await connection.execute("SELECT pg_advisory_unlock(%s)", (lock_key(job),))

    async def _lead(self, job: str) -> bool:
        connection = await self._connect()
        if job in self._held:
            await connection.execute("SELECT 1")  # still connected means still holding it
            return True
        cursor = await connection.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(job),))
        row = await cursor.fetchone()
        if row is not None and row[0] is True:
            self._held.add(job)
            log.info("election.leader", job=job)
            return True
        return False

    async def _connect(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            self._held.clear()
            self._connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True
            )
        return self._connection

    async def _drop(self) -> None:
        if self._held:
            log.warning("election.leadership_lost", jobs=sorted(self._held))
        self._held.clear()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def aclose(self) -> None:
        async with self._lock:
            # The server frees a closed session's locks only once its backend has exited;
            # unlocking first lets the next process take over at once.
            if self._held and self._connection is not None and not self._connection.closed:
                # Gone already? Then the server frees them with the session.
                with contextlib.suppress(psycopg.Error, OSError):
                    await self._connection.execute("SELECT pg_advisory_unlock_all()")
            await self._drop()


def lock_key(job: str) -> int:
    """A stable signed 64-bit advisory lock key per job name."""
    digest = hashlib.sha256(f"leadbridge:election:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def election_for(db: Database) -> Election:
    return AdvisoryLockElection(db.url) if db.is_postgres else SoleLeader()
