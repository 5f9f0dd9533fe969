"""Outbox: Avito statuses waiting to be sent, in per-lead sequence.

Only a lead's head — its lowest `seq` not yet sent or skipped — may be claimed, so a lead's
statuses leave in order even when many workers send many leads at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from leadbridge.domain.status_path import PlannedStatus
from leadbridge.store.tables import OutboxItem, SendAttempt
from leadbridge.store.upsert import dialect_name

PENDING, SENDING, SENT, PARKED, SKIPPED = "pending", "sending", "sent", "parked", "skipped"
BLOCKING_STATES = (PENDING, SENDING, PARKED)


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
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def claim_heads(session: AsyncSession, *, limit: int, now: datetime) -> Sequence[OutboxItem]:
    """Mark up to `limit` due heads as sending and return them, at most one per lead."""
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
        .where(OutboxItem.state == PENDING, OutboxItem.next_attempt_at <= now, ~blocked_by_earlier)
        .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=OutboxItem)
    items = (await session.scalars(statement)).all()
    for item in items:
        item.state = SENDING
        item.attempts += 1
    await session.flush()
    return items


async def next_due_at(session: AsyncSession) -> datetime | None:
    statement = select(func.min(OutboxItem.next_attempt_at)).where(OutboxItem.state == PENDING)
    result: datetime | None = await session.scalar(statement)
    return result


async def record_attempt(
    session: AsyncSession, item: OutboxItem, *, outcome: str, detail: str | None, now: datetime
) -> None:
    session.add(SendAttempt(outbox_id=item.id, attempted_at=now, outcome=outcome, detail=detail))


async def finish(
    session: AsyncSession, item_id: int, *, state: str, error: str | None, sent_at: datetime | None
) -> None:
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id)
        .values(state=state, last_error=error, sent_at=sent_at)
    )


async def retry_later(
    session: AsyncSession, item_id: int, *, error: str, next_attempt_at: datetime
) -> None:
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id)
        .values(state=PENDING, last_error=error, next_attempt_at=next_attempt_at)
    )


async def release_interrupted(session: AsyncSession) -> int:
    """Items left `sending` by a process that died go back to pending; idempotency keys make a
    resend safe."""
    result = await session.execute(
        update(OutboxItem).where(OutboxItem.state == SENDING).values(state=PENDING)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state))
    return {state: count for state, count in rows.all()}


async def retrying_count(session: AsyncSession) -> int:
    statement = select(func.count()).where(OutboxItem.state == PENDING, OutboxItem.attempts > 0)
    return int(await session.scalar(statement) or 0)


async def oldest_pending_since(session: AsyncSession) -> datetime | None:
    statement = select(func.min(OutboxItem.created_at)).where(
        OutboxItem.state.in_((PENDING, SENDING))
    )
    result: datetime | None = await session.scalar(statement)
    return result
