"""Intake: an Avito buyout request becomes a lead, once, whichever channel brought it.

The raw event and the lead are written in one transaction. Push (webhook) and pull (feed) both
key the inbox by the Avito lead id, so a request that arrives both ways is stored once. A payload
that cannot be interpreted is kept raw in quarantine by the channel that brought it; the feed
moves past it instead of stopping there.

A seller's change of a request (`avito/changes.py`) comes in the same ways, handed over as a
`ChangeBody` where a request would be: it is read (a change that cannot be is refused like a
request, and quarantined by its channel), kept raw in the inbox keyed by its change id — the
same by both channels — and applied by its own flow (`sync/avito_changes.py`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.avito.changes import AvitoChange, read_change
from leadbridge.avito.client import AvitoClient
from leadbridge.avito.envelope import ChangeBody
from leadbridge.avito.payload import PayloadError, parse_lead
from leadbridge.domain.contract_drift import DriftKind, drift_named
from leadbridge.domain.lead import BuyoutRequest
from leadbridge.store import cursors, inbox, leads, seller_changes
from leadbridge.store.database import Database
from leadbridge.store.drift_notes import Drift, note_drift, note_drifts
from leadbridge.sync.quarantine import quarantine_raw
from leadbridge.sync.wakeups import AVITO_CHANGES, DEALS, Wakeups

log = structlog.get_logger(__name__)
FEED_CURSOR = "avito_lead_feed"


class Intake(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Arrival:
    """A lead payload as a channel brought it; `held_event` is the quarantined event it is read
    from again, on a replay."""

    raw: Mapping[str, Any]
    channel: str
    held_event: int | None = None


Outcome = Intake | PayloadError  # stored, known already, or refused (nothing written for it)
Read = BuyoutRequest | AvitoChange | PayloadError
# Writes that belong with the outcomes, in their transaction (a replay marks its events).
Alongside = Callable[[AsyncSession, Sequence[tuple[Arrival, Outcome]]], Awaitable[None]]


async def accept_lead(
    db: Database, raw: Mapping[str, Any], *, channel: str, wakeups: Wakeups
) -> Intake:
    """Store one lead payload. Raises PayloadError, writing nothing, if it is unusable: the
    caller keeps it in quarantine."""
    ((_, outcome),) = await accept_leads(db, [Arrival(raw, channel)], wakeups=wakeups)
    if isinstance(outcome, PayloadError):
        raise outcome
    return outcome


async def accept_leads(
    db: Database,
    arrivals: Sequence[Arrival],
    *,
    wakeups: Wakeups,
    alongside: Alongside | None = None,
) -> list[tuple[Arrival, Outcome]]:
    """Store many lead payloads, with their raw events, in one transaction: each one's outcome,
    in order. Keep a batch within a few hundred: it is one statement per table."""
    if not arrivals:
        return []
    now = datetime.now(UTC)
    parsed = [(arrival, _parsed(arrival)) for arrival in arrivals]
    try:
        async with db.transaction() as session:
            outcomes = await _stored(session, parsed, now)
            if alongside is not None:
                await alongside(session, outcomes)
    except DataError as error:
        if len(arrivals) > 1:
            # A value the parser let through and the database cannot hold spoils the whole
            # statement: each payload goes alone, so that only that one is refused.
            alone = [
                await accept_leads(db, [one], wakeups=wakeups, alongside=alongside)
                for one in arrivals
            ]
            return [outcome for outcomes in alone for outcome in outcomes]
        outcomes = [(arrivals[0], _unstorable(error))]
        if alongside is not None:
            async with db.transaction() as session:
                await alongside(session, outcomes)
        return outcomes
    await _announce(db, wakeups, parsed, outcomes)
    return outcomes


def _parsed(arrival: Arrival) -> Read:
    try:
        if isinstance(arrival.raw, ChangeBody):
            return read_change(arrival.raw)
        return parse_lead(arrival.raw)
    except PayloadError as error:
        return error


async def _stored(
    session: AsyncSession, parsed: Sequence[tuple[Arrival, Read]], now: datetime
) -> list[tuple[Arrival, Outcome]]:
    """Push (webhook) and pull (feed) key the inbox alike, `lead:<Avito id>`: a request that
    arrives both ways, or twice in one batch, is stored once, by its first arrival. A change
    is keyed `change:<its id>` the same way, and waits in the inbox for its flow."""
    first: dict[str, tuple[Arrival, BuyoutRequest]] = {}
    changes: dict[str, Arrival] = {}
    for arrival, read in parsed:
        if isinstance(read, BuyoutRequest):
            first.setdefault(f"lead:{read.avito_lead_id}", (arrival, read))
        elif isinstance(read, AvitoChange):
            changes.setdefault(read.inbox_key, arrival)
    events = [
        (key, arrival.channel, json.dumps(arrival.raw, ensure_ascii=False))
        for key, (arrival, _) in first.items()
    ]
    new_keys = await inbox.add_processed(session, events, now)
    new = {key: first[key] for key in first if key in new_keys}
    await leads.add_new(
        session, [(request, dict(arrival.raw)) for arrival, request in new.values()], now
    )
    waiting = [
        (key, arrival.channel, json.dumps(arrival.raw, ensure_ascii=False))
        for key, arrival in changes.items()
    ]
    new_keys |= await seller_changes.add_events(session, waiting, now)
    arrivals = {key: arrival for key, (arrival, _) in new.items()}
    arrivals |= {key: arrival for key, arrival in changes.items() if key in new_keys}
    return [(arrival, _outcome(arrival, read, arrivals)) for arrival, read in parsed]


def _outcome(arrival: Arrival, read: Read, stored: Mapping[str, Arrival]) -> Outcome:
    if isinstance(read, PayloadError):
        return read
    key = read.inbox_key if isinstance(read, AvitoChange) else f"lead:{read.avito_lead_id}"
    return Intake.NEW if stored.get(key) is arrival else Intake.DUPLICATE


def _unstorable(error: DataError) -> PayloadError:
    # PostgreSQL refuses a NUL character in JSON, for one: refused however often it is sent.
    reason = str(error.orig or error).splitlines()[0]
    return PayloadError(f"the database cannot store this lead: {reason}", "lead")


async def _announce(
    db: Database,
    wakeups: Wakeups,
    parsed: Sequence[tuple[Arrival, Read]],
    outcomes: Sequence[tuple[Arrival, Outcome]],
) -> None:
    """What follows a stored request: a log line, the deal flow woken, and the fields Avito
    added shown to a person (kept with the lead meanwhile). A stored change wakes its flow."""
    drifts: list[Drift] = []
    requests = changes = 0
    for (arrival, read), (_, outcome) in zip(parsed, outcomes, strict=True):
        if outcome is not Intake.NEW:
            continue
        if isinstance(read, BuyoutRequest):
            requests += 1
            log.info("lead.accepted", avito_lead_id=read.avito_lead_id, channel=arrival.channel)
            drifts.extend(_unknown_fields(read.unknown_fields))
            drifts.extend(_unknown_values(read.unknown_values))
        elif isinstance(read, AvitoChange):
            changes += 1
            log.info(
                "lead.change_received",
                avito_lead_id=read.request.avito_lead_id,
                kind=read.kind.value,
                channel=arrival.channel,
            )
    if requests:
        wakeups.notify(DEALS)
    if changes:
        wakeups.notify(AVITO_CHANGES)
    if drifts:
        await note_drifts(db, drifts)


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


def _unknown_values(unknown: Mapping[str, str]) -> list[Drift]:
    """One drift per enum value the mapping does not list, named as the mapping file is keyed
    (`lead.offer_type=exchange`), so that the alias to add is plain to see."""
    return [
        (DriftKind.UNKNOWN_ENUM_VALUE, f"lead.{name}={drift_named(value)}", value)
        for name, value in unknown.items()
    ]


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
        arrivals = [Arrival(raw, "feed") for _, raw in page.leads]
        for arrival, outcome in await accept_leads(db, arrivals, wakeups=wakeups):
            if isinstance(outcome, PayloadError):
                await _set_aside(db, arrival.raw, outcome)
            new += outcome is Intake.NEW
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
