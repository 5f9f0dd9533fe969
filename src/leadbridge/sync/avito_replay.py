"""Replay: what Avito sent or answered that could not be used, tried again under the mapping in
force — after an operator followed a change of Avito's API in the mapping file.

Two kinds of things were held back. Requests (webhook bodies and feed items) kept raw in
quarantine are interpreted again: one that now reads becomes a lead through the same intake as
ever, so a request that also came the other way, or was replayed before, is not doubled; a
seller's change so kept goes to the inbox like a new one, and a change its own flow set aside
(`sync/avito_changes.py`) is handed back to that flow.
Statuses Avito refused for their form (an unknown status name, a missing code, a moved endpoint)
are given back to the relay: unparked, or sent now instead of after their backoff. Every step
is audited (who, when) and a crash midway loses nothing: replaying again finishes the job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.avito.envelope import EventKind, json_object, read_feed_item, read_webhook
from leadbridge.avito.payload import PayloadError
from leadbridge.avito.results import CONTRACT_REFUSALS
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store import inbox, operator_actions, seller_changes
from leadbridge.store.database import Database
from leadbridge.store.tables import InboxEvent
from leadbridge.sync.intake import Arrival, Intake, Outcome, accept_leads
from leadbridge.sync.wakeups import AVITO_CHANGES, OUTBOX, Wakeups

log = structlog.get_logger(__name__)
NOTE = "replay after a change of Avito's mapping"
# Events interpreted and stored per transaction: a few statements per batch instead of three
# transactions per event (bench/avito_replay.py: ~40 events/s one by one).
BATCH = 200


@dataclass(frozen=True, slots=True)
class ReplayReport:
    replayed: int  # events interpreted now and gone on
    leads_created: int  # of which new requests (the rest were known already)
    still_quarantined: int  # events that still cannot be read, their reason updated
    statuses_resent: int  # statuses given back to the relay

    def to_json(self) -> str:
        return json.dumps(
            {
                "replayed": self.replayed,
                "leads_created": self.leads_created,
                "still_quarantined": self.still_quarantined,
                "statuses_resent": self.statuses_resent,
            }
        )


async def replay(
    db: Database,
    wakeups: Wakeups,
    *,
    actor: str,
    ids: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayReport:
    """Replay Avito's held-back events (all, or those of `ids`) and its form-refused statuses."""
    async with db.transaction() as session:
        events = await inbox.held_back(session, "avito", ids)
    tally = _Tally()
    for start in range(0, len(events), BATCH):
        await _replay_batch(db, events[start : start + BATCH], wakeups, tally, actor=actor)
        if progress is not None:
            progress(min(start + BATCH, len(events)), len(events))
    resent = await resend_refused_statuses(db, actor=actor) if ids is None else 0
    if resent:
        wakeups.notify(OUTBOX)
    report = ReplayReport(tally.replayed, tally.created, tally.still, resent)
    log.info("avito.replayed", actor=actor, **json.loads(report.to_json()))
    return report


@dataclass(slots=True)
class _Tally:
    replayed: int = 0
    created: int = 0
    still: int = 0


async def _replay_batch(
    db: Database, events: Sequence[InboxEvent], wakeups: Wakeups, tally: _Tally, *, actor: str
) -> None:
    """Interpret a batch of events again: the requests they hold go in through the intake, and
    each event is marked in the same transaction — replayed, or its reason brought up to date.
    A crash midway leaves the batch held back, to be replayed again whole."""
    arrivals: list[Arrival] = []
    done: list[int] = []  # events read and holding no request: nothing to store
    unreadable: list[tuple[int, PayloadError]] = []
    # Changes quarantined by the flow that applies them (they are in the inbox already).
    requeued = [e.id for e in events if e.event_key.startswith(seller_changes.KEY_PREFIX)]
    for event in events:
        if event.id in requeued:
            continue
        try:
            lead = _lead_of(event)
        except PayloadError as error:
            unreadable.append((event.id, error))
            continue
        if lead is None:
            done.append(event.id)
        else:
            arrivals.append(Arrival(lead, event.channel, held_event=event.id))
    now = datetime.now(UTC)
    if done or unreadable or requeued:
        async with db.transaction() as session:
            await seller_changes.requeue(session, requeued)
            await _mark(session, [*done, *requeued], unreadable, actor=actor, now=now)
        if requeued:
            wakeups.notify(AVITO_CHANGES)

    async def mark(session: AsyncSession, outcomes: Sequence[tuple[Arrival, Outcome]]) -> None:
        await _mark(session, _gone_on(outcomes), _refused(outcomes), actor=actor, now=now)

    outcomes = await accept_leads(db, arrivals, wakeups=wakeups, alongside=mark)
    tally.replayed += len(done) + len(requeued) + len(_gone_on(outcomes))
    tally.still += len(unreadable) + len(_refused(outcomes))
    tally.created += sum(outcome is Intake.NEW for _, outcome in outcomes)


async def _mark(
    session: AsyncSession,
    replayed: Sequence[int],
    refused: Sequence[tuple[int, PayloadError]],
    *,
    actor: str,
    now: datetime,
) -> None:
    await inbox.mark_replayed(session, replayed, actor=actor, now=now)
    for event_id, error in refused:
        await inbox.still_held(session, event_id, str(error))


def _refused(outcomes: Sequence[tuple[Arrival, Outcome]]) -> list[tuple[int, PayloadError]]:
    return [
        (arrival.held_event, outcome)
        for arrival, outcome in outcomes
        if isinstance(outcome, PayloadError) and arrival.held_event is not None
    ]


def _gone_on(outcomes: Sequence[tuple[Arrival, Outcome]]) -> list[int]:
    return [
        arrival.held_event
        for arrival, outcome in outcomes
        if not isinstance(outcome, PayloadError) and arrival.held_event is not None
    ]


def _lead_of(event: InboxEvent) -> Mapping[str, Any] | None:
    """The request (or a seller's change: a ChangeBody, kept as it is) in a kept event; None for
    an event that carries none (a ping, or an event type we do not act on): replaying it is
    done once it is read."""
    if event.channel == "feed":
        return read_feed_item(json_object(event.body))
    found = read_webhook(event.body)
    if found.kind is not EventKind.LEAD or found.lead is None:
        return None
    return found.lead


async def resend_refused_statuses(db: Database, *, actor: str) -> int:
    """Statuses Avito refused for their form go to the relay again, each action audited."""
    now = datetime.now(UTC)
    async with db.transaction() as session:
        items = await operator_actions.refused_for_form(session, CONTRACT_REFUSALS)
        for item in items:
            action = "unpark" if item.state == OutboxState.PARKED else "retry"
            await operator_actions.act(
                session, item_id=item.id, action=action, actor=actor, note=NOTE, now=now
            )
    return len(items)
