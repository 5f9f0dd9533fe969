"""Intake: an Avito buyout request becomes a lead, once, whichever channel brought it.

The raw event and the lead are written in one transaction. Push (webhook) and pull (feed) both
key the inbox by the Avito lead id, so a request that arrives both ways is stored once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import structlog

from leadbridge.avito.client import AvitoClient
from leadbridge.avito.payload import parse_lead
from leadbridge.store import inbox, leads
from leadbridge.store import tokens as cursors
from leadbridge.store.database import Database
from leadbridge.sync.wakeups import DEALS, Wakeups

log = structlog.get_logger(__name__)
FEED_CURSOR = "avito_lead_feed"


class Intake(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"


async def accept_lead(
    db: Database, raw: Mapping[str, Any], *, channel: str, wakeups: Wakeups
) -> Intake:
    """Store one lead payload. Raises PayloadError, before writing anything, if it is unusable."""
    request = parse_lead(raw)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        event_id = await inbox.add_if_new(
            session,
            source="avito",
            event_key=f"lead:{request.avito_lead_id}",
            channel=channel,
            body=json.dumps(raw, ensure_ascii=False),
            now=now,
        )
        if event_id is None:
            return Intake.DUPLICATE
        await leads.add_if_new(session, request, dict(raw), now)
        await inbox.mark_processed(session, event_id, now)
    log.info("lead.accepted", avito_lead_id=request.avito_lead_id, channel=channel)
    wakeups.notify(DEALS)
    return Intake.NEW


async def pull_feed_once(db: Database, avito: AvitoClient, wakeups: Wakeups) -> int:
    """Read the lead feed from the stored cursor to its end; returns how many leads were new."""
    async with db.transaction() as session:
        stored = await cursors.cursor(session, FEED_CURSOR)
    last_id = int(stored) if stored else None
    new = 0
    while True:
        page = await avito.fetch_leads(last_id)
        for _, raw in page.leads:
            if await accept_lead(db, raw, channel="feed", wakeups=wakeups) is Intake.NEW:
                new += 1
        if not page.leads or page.last_id == last_id:
            return new
        last_id = page.last_id
        async with db.transaction() as session:
            await cursors.save_cursor(session, FEED_CURSOR, str(last_id), datetime.now(UTC))
