"""`leadbridge outbox …`: what an operator sees of the outbox and may do to it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from leadbridge.config import Settings
from leadbridge.store import operator_actions
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade


async def list_items(settings: Settings, *, state: str | None, limit: int) -> list[str]:
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            found = await operator_actions.items(session, state, limit)
        return [
            f"{item.id}\t{item.state}\t{item.avito_lead_id}\t{item.status}\t"
            f"attempts={item.attempts}\t{item.last_error or ''}"
            for item in found
        ]
    finally:
        await db.dispose()


async def act(
    settings: Settings, *, item_id: int, action: str, actor: str, note: str | None
) -> str:
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            item = await operator_actions.act(
                session,
                item_id=item_id,
                action=action,
                actor=actor,
                note=note,
                now=datetime.now(UTC),
            )
        return f"item {item.id} ({item.avito_lead_id} {item.status}) is now {item.state}"
    finally:
        await db.dispose()
