"""A lead's history for the dashboard: what Avito sent, what amoCRM did, what we sent back.

Four append-only sources are merged by time: the inbox (the Avito event that brought the lead),
the status log (amoCRM stage changes), send attempts (each answer Avito gave) and operator actions
on the lead's outbox items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import (
    InboxEvent,
    Lead,
    OperatorAction,
    OutboxItem,
    SendAttempt,
    StatusChange,
)

INBOX, STAGE, ATTEMPT, ACTION = "inbox", "stage", "attempt", "action"
# Same instant: the cause before its effect (received → stage change → send → a person's action).
_ORDER = {INBOX: 0, STAGE: 1, ATTEMPT: 2, ACTION: 3}


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    kind: str
    row_id: int
    what: str  # the channel, the stage key, the status sent, or the action
    outcome: str | None = None  # verdict of a stage change, answer to a send, states of an action
    detail: str | None = None


async def for_lead(session: AsyncSession, lead: Lead) -> list[Entry]:
    entries = [
        *await _inbox(session, lead.avito_lead_id),
        *await _stages(session, lead.id),
        *await _attempts(session, lead.id),
        *await _actions(session, lead.id),
    ]
    return sorted(entries, key=lambda entry: (entry.at, _ORDER[entry.kind], entry.row_id))


async def outbox_items(session: AsyncSession, lead_id: int) -> Sequence[OutboxItem]:
    statement = select(OutboxItem).where(OutboxItem.lead_id == lead_id).order_by(OutboxItem.seq)
    return (await session.scalars(statement)).all()


async def _inbox(session: AsyncSession, avito_lead_id: str) -> list[Entry]:
    # Intake keys an Avito lead's event `lead:<id>`: an exact match uses the unique index.
    statement = select(InboxEvent).where(
        InboxEvent.source == "avito", InboxEvent.event_key == f"lead:{avito_lead_id}"
    )
    return [
        Entry(event.received_at, INBOX, event.id, event.channel, event.event_key, event.error)
        for event in (await session.scalars(statement)).all()
    ]


async def _stages(session: AsyncSession, lead_id: int) -> list[Entry]:
    statement = select(StatusChange).where(StatusChange.lead_id == lead_id)
    return [
        Entry(
            change.occurred_at,
            STAGE,
            change.id,
            change.stage_key or str(change.new_status_id),
            change.verdict,
            change.loss_reason or change.source,
        )
        for change in (await session.scalars(statement)).all()
    ]


async def _attempts(session: AsyncSession, lead_id: int) -> list[Entry]:
    statement = (
        select(SendAttempt, OutboxItem.status)
        .join(OutboxItem, OutboxItem.id == SendAttempt.outbox_id)
        .where(OutboxItem.lead_id == lead_id)
    )
    return [
        Entry(attempt.attempted_at, ATTEMPT, attempt.id, status, attempt.outcome, attempt.detail)
        for attempt, status in (await session.execute(statement)).all()
    ]


async def _actions(session: AsyncSession, lead_id: int) -> list[Entry]:
    statement = (
        select(OperatorAction, OutboxItem.status)
        .join(OutboxItem, OutboxItem.id == OperatorAction.outbox_id)
        .where(OutboxItem.lead_id == lead_id)
    )
    return [
        Entry(
            action.at,
            ACTION,
            action.id,
            action.action,
            f"{status}: {action.state_before} → {action.state_after}",
            f"{action.actor}" + (f": {action.note}" if action.note else ""),
        )
        for action, status in (await session.execute(statement)).all()
    ]
