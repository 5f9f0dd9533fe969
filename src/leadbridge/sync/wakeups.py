"""Wake-ups: a flow that has work for another one says so instead of waiting for its next poll.

`LocalWakeups` wakes flows of the same process (SQLite: one process). `PgWakeups` also wakes every
other process through PostgreSQL's LISTEN/NOTIFY (see `store/notify.py`). A lost wake-up costs at
most one idle poll: every waiter still polls, wake-ups only make it sooner.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Protocol

import psycopg
import structlog

from leadbridge.store import notify
from leadbridge.store.database import Database

log = structlog.get_logger(__name__)
DEALS, STAGE_CHANGES, OUTBOX = "deals", "stage_changes", "outbox"
AVITO_CHANGES = "avito_changes"  # a seller's change of a request is waiting in the inbox
TOPICS = (DEALS, STAGE_CHANGES, OUTBOX, AVITO_CHANGES)
RECONNECT_PAUSE_S = 1.0


class Wakeups(Protocol):
    def notify(self, topic: str) -> None:
        """Wake the waiters of `topic`; never blocks, never fails the caller."""

    async def wait(self, topic: str, at_most_s: float) -> bool:
        """Return when notified (True) or after `at_most_s` seconds (False)."""

    async def aclose(self) -> None: ...


class LocalWakeups:
    def __init__(self) -> None:
        self._events: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def notify(self, topic: str) -> None:
        self._events[topic].set()

    async def wait(self, topic: str, at_most_s: float) -> bool:
        event = self._events[topic]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), at_most_s)
        woken = event.is_set()
        event.clear()
        return woken

    async def aclose(self) -> None:
        pass


class PgWakeups:
    """LISTEN on a dedicated connection, opened by the first `wait()`: a process that only
    notifies (`leadbridge web`) never holds one. NOTIFY goes through the pool."""

    def __init__(self, db: Database, topics: tuple[str, ...] = TOPICS) -> None:
        self._db, self._topics = db, topics
        self._local = LocalWakeups()
        self._listener: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self.listening = asyncio.Event()  # set while the LISTEN connection is up

    def notify(self, topic: str) -> None:
        self._local.notify(topic)
        task = asyncio.create_task(self._send(topic))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def wait(self, topic: str, at_most_s: float) -> bool:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="wakeups.listen")
        return await self._local.wait(topic, at_most_s)

    async def aclose(self) -> None:
        tasks = [*self._sends, *([self._listener] if self._listener else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _send(self, topic: str) -> None:
        try:
            async with self._db.transaction() as session:
                await notify.notify_in(session, topic)
        except Exception as error:  # a lost wake-up only delays the other side's next poll
            log.warning("wakeups.notify_failed", topic=topic, error=type(error).__name__)

    async def _listen(self) -> None:
        """Keep a LISTEN connection up; a dropped one is reopened after a pause."""
        while True:
            try:
                await self._listen_once()
            except (psycopg.Error, OSError) as error:
                log.warning("wakeups.listen_lost", error=type(error).__name__)
            self.listening.clear()
            await asyncio.sleep(RECONNECT_PAUSE_S)

    async def _listen_once(self) -> None:
        conninfo = notify.conninfo(self._db.url)
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as connection:
            for topic in self._topics:
                await connection.execute(f"LISTEN {notify.channel(topic)}")
            self.listening.set()
            # Work may have been queued while nobody listened: wake every flow once.
            for topic in self._topics:
                self._local.notify(topic)
            async for message in connection.notifies():
                if (woken := notify.topic_of(message.channel)) is not None:
                    self._local.notify(woken)


def wakeups_for(db: Database) -> Wakeups:
    """Across processes on PostgreSQL, within the process on SQLite."""
    return PgWakeups(db) if db.is_postgres else LocalWakeups()
