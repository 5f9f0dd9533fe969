"""Replay: what Avito sent or answered that could not be used, tried again under the mapping in
force — after an operator followed a change of Avito's API in the mapping file.

Two kinds of things were held back. Requests (webhook bodies and feed items) kept raw in
quarantine are interpreted again: one that now reads becomes a lead through the same intake as
ever, so a request that also came the other way, or was replayed before, is not doubled.
Statuses Avito refused for their form (an unknown status name, a missing code, a moved endpoint)
are given back to the relay: unparked, or sent now instead of after their backoff. Every step
is audited (who, when) and a crash midway loses nothing: replaying again finishes the job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from leadbridge.avito.envelope import EventKind, json_object, read_feed_item, read_webhook
from leadbridge.avito.payload import PayloadError
from leadbridge.avito.results import CONTRACT_REFUSALS
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store import inbox, operator_actions
from leadbridge.store.database import Database
from leadbridge.store.tables import InboxEvent
from leadbridge.sync.intake import Intake, accept_lead
from leadbridge.sync.wakeups import OUTBOX, Wakeups

log = structlog.get_logger(__name__)
NOTE = "replay after a change of Avito's mapping"


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
    replayed = created = still = 0
    for done, event in enumerate(events, start=1):
        outcome = await _replay_event(db, event, wakeups, actor=actor)
        if outcome is None:
            still += 1
        else:
            replayed += 1
            created += outcome is Intake.NEW
        if progress is not None:
            progress(done, len(events))
    resent = await resend_refused_statuses(db, actor=actor) if ids is None else 0
    if resent:
        wakeups.notify(OUTBOX)
    report = ReplayReport(replayed, created, still, resent)
    log.info("avito.replayed", actor=actor, **json.loads(report.to_json()))
    return report


async def _replay_event(
    db: Database, event: InboxEvent, wakeups: Wakeups, *, actor: str
) -> Intake | None:
    """The event interpreted again: how its request went in, or None if it still cannot be."""
    try:
        lead = _lead_of(event)
        outcome = (
            Intake.DUPLICATE
            if lead is None
            else await accept_lead(db, lead, channel=event.channel, wakeups=wakeups)
        )
    except PayloadError as error:
        async with db.transaction() as session:
            await inbox.still_held(session, event.id, str(error))
        return None
    async with db.transaction() as session:
        await inbox.mark_replayed(session, event.id, actor=actor, now=datetime.now(UTC))
    return outcome


def _lead_of(event: InboxEvent) -> dict[str, object] | None:
    """The request in a kept event; None for an event that carries none (a ping, or an event
    type we do not act on): replaying it is done once it is read."""
    if event.channel == "feed":
        return dict(read_feed_item(json_object(event.body)))
    found = read_webhook(event.body)
    if found.kind is not EventKind.LEAD or found.lead is None:
        return None
    return dict(found.lead)


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
