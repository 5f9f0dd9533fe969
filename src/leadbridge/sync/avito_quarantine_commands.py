"""`leadbridge avito quarantine …`: Avito's events held back, read and replayed from the CLI."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from leadbridge.config import Settings
from leadbridge.store import inbox
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import InboxEvent
from leadbridge.sync.avito_replay import ReplayReport, replay
from leadbridge.sync.wakeups import LocalWakeups


class NoSuchEvent(LookupError):
    """No Avito event in quarantine has this id."""


def summary(event: InboxEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "channel": event.channel,
        "received_at": event.received_at.isoformat(),
        "quarantined_at": event.quarantined_at.isoformat() if event.quarantined_at else None,
        "replayed_at": event.replayed_at.isoformat() if event.replayed_at else None,
        "replayed_by": event.replayed_by,
        "reason": event.error,
    }


async def held_back(settings: Settings) -> list[dict[str, Any]]:
    """Every Avito event in quarantine not replayed yet, oldest first."""
    async with _database(settings) as db, db.transaction() as session:
        return [summary(event) for event in await inbox.held_back(session, "avito")]


async def one(settings: Settings, event_id: int) -> tuple[dict[str, Any], str]:
    """An Avito event in quarantine (replayed or not) and its raw body."""
    async with _database(settings) as db, db.transaction() as session:
        event = await session.get(InboxEvent, event_id)
    if event is None or event.source != "avito" or event.quarantined_at is None:
        raise NoSuchEvent(f"no Avito event {event_id} in quarantine")
    return summary(event), event.body


async def replay_held_back(
    settings: Settings, *, actor: str, ids: Sequence[int] | None
) -> ReplayReport:
    async with _database(settings) as db:
        if ids is not None:
            async with db.transaction() as session:
                found = {event.id for event in await inbox.held_back(session, "avito", ids)}
            if missing := sorted(set(ids) - found):
                shown = ", ".join(map(str, missing))
                raise NoSuchEvent(f"not held back (unknown, not Avito's, or replayed): {shown}")
        # The running flows poll their queues, so a wake-up from this process is not needed.
        return await replay(db, LocalWakeups(), actor=actor, ids=ids, progress=_progress)


def _progress(done: int, total: int) -> None:
    if done == total or done % 500 == 0:
        print(f"replayed {done} of {total}", file=sys.stderr)


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    """The configured database, migrated, for one command."""
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        yield db
    finally:
        await db.dispose()
