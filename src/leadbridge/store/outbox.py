"""Outbox: Avito statuses waiting to be sent, in per-lead sequence.

Only a lead's head — its lowest `seq` not yet sent or skipped — may be claimed, so a lead's
statuses leave in order even when many workers send many leads at once.

A claim is a lease: the item is `sending` until `lease_until`. A worker that dies mid-send (even
SIGKILLed) holds nothing once its lease runs out: any worker claims the item again, first reading
Avito back (`verify_first`) since the lost send may have arrived. A claim is identified by the
item's `attempts` at claim time; results of a superseded claim are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, exists, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.status_path import PlannedStatus, StatusPlan
from leadbridge.store.notify import notify_in
from leadbridge.store.tables import Lead, OutboxItem, SendAttempt
from leadbridge.store.upsert import dialect_name

# States that hold back the lead's later statuses: only sent or skipped items let them go.
BLOCKING_STATES = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.PARKED)


async def enqueue(
    session: AsyncSession,
    *,
    lead_id: int,
    avito_lead_id: str,
    statuses: Sequence[PlannedStatus],
    occurred_at: datetime,
    now: datetime,
) -> None:
    """Append statuses after the lead's last one. The caller holds the lead's row lock."""
    last = await session.scalar(
        select(func.max(OutboxItem.seq)).where(OutboxItem.lead_id == lead_id)
    )
    rows = [
        _row(
            lead_id,
            avito_lead_id,
            planned,
            seq=(last or 0) + offset,
            occurred_at=occurred_at,
            now=now,
        )
        for offset, planned in enumerate(statuses, start=1)
    ]
    if rows:
        await session.execute(insert(OutboxItem), rows)
    # Other processes' relays wake at this transaction's commit (sync.wakeups.OUTBOX).
    await notify_in(session, "outbox")


async def enqueue_plan(
    session: AsyncSession, lead: Lead, plan: StatusPlan, *, occurred_at: datetime, now: datetime
) -> None:
    """Queue what a plan sends, if anything, and remember its last status on the lead. The caller
    holds the lead's row lock."""
    if not plan.to_send:
        return
    await enqueue(
        session,
        lead_id=lead.id,
        avito_lead_id=lead.avito_lead_id,
        statuses=plan.to_send,
        occurred_at=occurred_at,
        now=now,
    )
    lead.avito_status = plan.last


@dataclass(frozen=True, slots=True)
class FirstStatuses:
    lead_id: int
    avito_lead_id: str
    statuses: Sequence[PlannedStatus]


async def enqueue_first(
    session: AsyncSession,
    batch: Sequence[FirstStatuses],
    *,
    occurred_at: datetime,
    now: datetime,
) -> None:
    """The first statuses of leads that have none yet, for a whole batch in one statement."""
    rows = [
        _row(
            entry.lead_id,
            entry.avito_lead_id,
            planned,
            seq=seq,
            occurred_at=occurred_at,
            now=now,
        )
        for entry in batch
        for seq, planned in enumerate(entry.statuses, start=1)
    ]
    if rows:
        await session.execute(insert(OutboxItem), rows)
        await notify_in(session, "outbox")


def _row(
    lead_id: int,
    avito_lead_id: str,
    planned: PlannedStatus,
    *,
    seq: int,
    occurred_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "seq": seq,
        "avito_lead_id": avito_lead_id,
        "status": planned.status,
        "price_kopecks": planned.price_kopecks,
        "reason": planned.reason,
        "occurred_at": occurred_at,
        # One key per lead and status: Avito applies each status at most once.
        "idempotency_key": f"{avito_lead_id}:{planned.status}",
        "state": OutboxState.PENDING,
        "attempts": 0,
        "sends": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def claim_heads(
    session: AsyncSession, *, limit: int, now: datetime, lease_s: float = 30.0
) -> Sequence[OutboxItem]:
    """Lease up to `limit` due heads for `lease_s` and return them, at most one per lead.

    Due means pending and past its backoff, or sending under a lease that ran out (NULL: a
    claim made before leases existed)."""
    earlier = aliased(OutboxItem)
    blocked_by_earlier = exists().where(
        and_(
            earlier.lead_id == OutboxItem.lead_id,
            earlier.seq < OutboxItem.seq,
            earlier.state.in_(BLOCKING_STATES),
        )
    )
    statement = (
        select(OutboxItem)
        .where(_due(now), ~blocked_by_earlier)
        .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=OutboxItem)
    items = (await session.scalars(statement)).all()
    for item in items:
        if (
            item.state == OutboxState.SENDING
        ):  # its worker vanished mid-send: the send may have arrived
            item.verify_first = True
        item.state = OutboxState.SENDING
        item.attempts += 1
        item.lease_until = now + timedelta(seconds=lease_s)
    await session.flush()
    return items


def _due(now: datetime) -> ColumnElement[bool]:
    pending = and_(OutboxItem.state == OutboxState.PENDING, OutboxItem.next_attempt_at <= now)
    lease_over = or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until <= now)
    return or_(pending, and_(OutboxItem.state == OutboxState.SENDING, lease_over))


async def next_due_at(session: AsyncSession) -> datetime | None:
    statement = select(func.min(OutboxItem.next_attempt_at)).where(
        OutboxItem.state == OutboxState.PENDING
    )
    result: datetime | None = await session.scalar(statement)
    return result


async def record_attempt(
    session: AsyncSession, item: OutboxItem, *, outcome: str, detail: str | None, now: datetime
) -> None:
    session.add(SendAttempt(outbox_id=item.id, attempted_at=now, outcome=outcome, detail=detail))


async def record_attempts(
    session: AsyncSession, attempts: Sequence[tuple[int, str, str | None]], *, now: datetime
) -> None:
    """One batch's attempts `(outbox_id, outcome, detail)` in one statement."""
    if attempts:
        rows = [
            {"outbox_id": item_id, "attempted_at": now, "outcome": outcome, "detail": detail}
            for item_id, outcome, detail in attempts
        ]
        await session.execute(insert(cast(Table, SendAttempt.__table__)), rows)


async def finish_sent(
    session: AsyncSession, claims: Sequence[tuple[int, int]], *, sent_at: datetime
) -> int:
    """Mark sent every `(item_id, claim)` whose claim still holds, in one statement: a batch
    of 100 is one round trip, not 100. Returns how many were marked."""
    if not claims:
        return 0
    table = cast(Table, OutboxItem.__table__)
    statement = (
        update(table)
        .where(
            tuple_(table.c.id, table.c.attempts).in_(list(claims)),
            table.c.state == OutboxState.SENDING,
        )
        .values(
            state=OutboxState.SENT,
            last_error=None,
            sent_at=sent_at,
            lease_until=None,
            verify_first=False,
        )
    )
    return int((await session.execute(statement)).rowcount)  # type: ignore[attr-defined]


async def finish(
    session: AsyncSession,
    item_id: int,
    *,
    state: OutboxState,
    error: str | None,
    sent_at: datetime | None,
    claim: int | None = None,
) -> bool:
    """Settle an item; with `claim` (its `attempts` when claimed), only if that claim still
    holds it. Returns whether the item was changed."""
    statement = _claimed(item_id, claim).values(
        state=state, last_error=error, sent_at=sent_at, lease_until=None, verify_first=False
    )
    return bool((await session.execute(statement)).rowcount)  # type: ignore[attr-defined]


async def retry_later(
    session: AsyncSession,
    item_id: int,
    *,
    error: str,
    next_attempt_at: datetime,
    claim: int | None = None,
    verify_first: bool = False,
    sends: int | None = None,
) -> bool:
    """Back to pending until `next_attempt_at`; `verify_first` if the send may have arrived;
    `sends`, how many times it has been sent now."""
    values: dict[str, object] = {
        "state": OutboxState.PENDING,
        "last_error": error,
        "next_attempt_at": next_attempt_at,
        "lease_until": None,
        "verify_first": verify_first,
    }
    if sends is not None:
        values["sends"] = sends
    statement = _claimed(item_id, claim).values(**values)
    return bool((await session.execute(statement)).rowcount)  # type: ignore[attr-defined]


def _claimed(item_id: int, claim: int | None) -> Any:
    statement = update(OutboxItem).where(OutboxItem.id == item_id)
    if claim is None:
        return statement
    return statement.where(OutboxItem.state == OutboxState.SENDING, OutboxItem.attempts == claim)


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state))
    return {state: count for state, count in rows.all()}


async def retrying_count(session: AsyncSession) -> int:
    statement = select(func.count()).where(
        OutboxItem.state == OutboxState.PENDING, OutboxItem.attempts > 0
    )
    return int(await session.scalar(statement) or 0)


async def oldest_pending_since(session: AsyncSession) -> datetime | None:
    statement = select(func.min(OutboxItem.created_at)).where(
        OutboxItem.state.in_((OutboxState.PENDING, OutboxState.SENDING))
    )
    result: datetime | None = await session.scalar(statement)
    return result
