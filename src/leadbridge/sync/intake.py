"""Intake: an Avito buyout request becomes a lead, once, whichever channel brought it.

The raw event and the lead are written in one transaction. Push (webhook) and pull (feed) both
key the inbox by the Avito lead id, so a request that arrives both ways is stored once. A payload
that cannot be interpreted is kept raw in quarantine by the channel that brought it; the feed
moves past it instead of stopping there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy.exc import DataError

from leadbridge.avito.client import AvitoClient
from leadbridge.avito.payload import PayloadError, parse_lead
from leadbridge.domain.contract_drift import DriftKind
from leadbridge.store import cursors, inbox, leads
from leadbridge.store.database import Database
from leadbridge.sync.contract_drift import Drift, note_drift, note_drifts
from leadbridge.sync.quarantine import quarantine_raw
from leadbridge.sync.wakeups import DEALS, Wakeups

log = structlog.get_logger(__name__)
FEED_CURSOR = "avito_lead_feed"


class Intake(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"


async def accept_lead(
    db: Database, raw: Mapping[str, Any], *, channel: str, wakeups: Wakeups
) -> Intake:
    """Store one lead payload. Raises PayloadError, writing nothing, if it is unusable: the
    caller keeps it in quarantine."""
    request = parse_lead(raw)
    now = datetime.now(UTC)
    try:
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
    except DataError as error:
        # A value the parser let through and the database cannot hold (PostgreSQL refuses a NUL
        # character in JSON, for one): it will be refused however often it is sent.
        reason = str(error.orig or error).splitlines()[0]
        raise PayloadError(f"the database cannot store this lead: {reason}", "lead") from error
    log.info("lead.accepted", avito_lead_id=request.avito_lead_id, channel=channel)
    wakeups.notify(DEALS)
    if request.unknown_fields:  # Avito added something: kept with the lead, shown to a person
        await note_drifts(db, _unknown_fields(request.unknown_fields))
    return Intake.NEW


async def quarantine_avito(db: Database, *, channel: str, raw: bytes, error: PayloadError) -> None:
    """Keep an Avito event that cannot be interpreted, and show it as contract drift."""
    if await quarantine_raw(db, source="avito", channel=channel, raw=raw, reason=str(error)):
        await note_drift(db, DriftKind.QUARANTINED, error.where, _sample(raw))


def _unknown_fields(unknown: Mapping[str, Any], prefix: str = "") -> list[Drift]:
    """One drift per unknown leaf: a field added to the device shows as `device.esim`."""
    drifts: list[Drift] = []
    for key, value in unknown.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            drifts.extend(_unknown_fields(value, f"{path}."))
        else:
            drifts.append((DriftKind.UNKNOWN_FIELD, path, value))
    return drifts


def _sample(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


async def pull_feed_once(db: Database, avito: AvitoClient, wakeups: Wakeups) -> int:
    """Read the lead feed from the stored cursor to its end; returns how many leads were new."""
    async with db.transaction() as session:
        stored = await cursors.cursor(session, FEED_CURSOR)
    last_id = int(stored) if stored else None
    new = 0
    while True:
        page = await avito.fetch_leads(last_id)
        for _, raw in page.leads:
            try:
                if await accept_lead(db, raw, channel="feed", wakeups=wakeups) is Intake.NEW:
                    new += 1
            except PayloadError as error:
                await _set_aside(db, raw, error)
        for row, reason in page.unreadable:
            await _set_aside(db, row, PayloadError(reason, "feed row"))
        if not page.leads or page.last_id == last_id:
            return new
        last_id = page.last_id
        async with db.transaction() as session:
            await cursors.save_cursor(session, FEED_CURSOR, str(last_id), datetime.now(UTC))


async def _set_aside(db: Database, raw: object, error: PayloadError) -> None:
    """A feed item refused on every pull: quarantined, and the cursor moves past it."""
    body = json.dumps(raw, ensure_ascii=False, default=str).encode(errors="replace")
    await quarantine_avito(db, channel="feed", raw=body, error=error)
