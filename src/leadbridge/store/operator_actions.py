"""What a person may do to an outbox item, each change audited in the same transaction.

| action  | from            | to      | meaning                                                  |
|---------|-----------------|---------|----------------------------------------------------------|
| retry   | pending         | pending | send at once instead of after the backoff                |
| park    | pending         | parked  | hold this lead's statuses until someone unparks them     |
| unpark  | parked          | pending | send again (after the cause was fixed)                   |
| skip    | parked          | skipped | give this status up so the lead's later statuses may go  |
| replay  | parked, sent    | pending | send it again under a new idempotency key                |

A replayed item keeps its place (`seq`) in the lead's sequence, so it becomes the lead's head
again: statuses after it wait until it is sent, as they did the first time. The new key is needed
because Avito applies each key once; resending under the old one would change nothing there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store.tables import OperatorAction, OutboxItem

ALLOWED = {
    "retry": ((OutboxState.PENDING,), OutboxState.PENDING),
    "park": ((OutboxState.PENDING,), OutboxState.PARKED),
    "unpark": ((OutboxState.PARKED,), OutboxState.PENDING),
    "skip": ((OutboxState.PARKED,), OutboxState.SKIPPED),
    "replay": ((OutboxState.PARKED, OutboxState.SENT), OutboxState.PENDING),
}


class ActionRefused(ValueError):
    """The item does not exist or is not in a state the action applies to."""


async def act(
    session: AsyncSession, *, item_id: int, action: str, actor: str, note: str | None, now: datetime
) -> OutboxItem:
    if action not in ALLOWED:
        raise ActionRefused(f"unknown action {action!r}: one of {', '.join(ALLOWED)}")
    item = await session.get(OutboxItem, item_id, with_for_update=True)
    if item is None:
        raise ActionRefused(f"no outbox item {item_id}")
    sources, target = ALLOWED[action]
    if item.state not in sources:
        raise ActionRefused(f"cannot {action} item {item_id}: it is {item.state}")
    before = item.state
    item.state = target
    if target == OutboxState.PENDING:
        item.next_attempt_at = now
    if action == "replay":
        await _fresh_send(session, item)
    session.add(
        OperatorAction(
            at=now,
            actor=actor,
            action=action,
            outbox_id=item.id,
            state_before=before,
            state_after=target,
            note=note,
        )
    )
    await session.flush()
    return item


async def _fresh_send(session: AsyncSession, item: OutboxItem) -> None:
    replays = await session.scalar(
        select(func.count()).where(
            OperatorAction.outbox_id == item.id, OperatorAction.action == "replay"
        )
    )
    item.idempotency_key = f"{item.avito_lead_id}:{item.status}:replay-{int(replays or 0) + 1}"
    item.attempts, item.last_error, item.sent_at = 0, None, None


async def items(session: AsyncSession, state: str | None, limit: int) -> Sequence[OutboxItem]:
    statement = select(OutboxItem).order_by(OutboxItem.id).limit(limit)
    if state is not None:
        statement = statement.where(OutboxItem.state == state)
    return (await session.scalars(statement)).all()


async def history(session: AsyncSession, item_id: int) -> Sequence[OperatorAction]:
    statement = (
        select(OperatorAction)
        .where(OperatorAction.outbox_id == item_id)
        .order_by(OperatorAction.id)
    )
    return (await session.scalars(statement)).all()


async def refused_for_form(
    session: AsyncSession, detail_prefixes: Sequence[str]
) -> Sequence[OutboxItem]:
    """Items Avito refused for the request's form (their last error starts with one of
    `detail_prefixes`): parked ones, and pending ones waiting out a backoff. Oldest first."""
    matches = or_(
        *(OutboxItem.last_error.startswith(prefix, autoescape=True) for prefix in detail_prefixes)
    )
    statement = (
        select(OutboxItem)
        .where(OutboxItem.state.in_((OutboxState.PARKED, OutboxState.PENDING)), matches)
        .order_by(OutboxItem.id)
    )
    return (await session.scalars(statement)).all()
