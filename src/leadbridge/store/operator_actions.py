"""What a person may do to an outbox item, each change audited in the same transaction.

| action  | from            | to      | meaning                                                  |
|---------|-----------------|---------|----------------------------------------------------------|
| retry   | pending         | pending | send at once instead of after the backoff                |
| park    | pending         | parked  | hold this lead's statuses until someone unparks them     |
| unpark  | parked          | pending | send again (after the cause was fixed)                   |
| skip    | parked          | skipped | give this status up so the lead's later statuses may go  |
| replay  | parked, sent    | pending | send it again under a new idempotency key                |

A sent item may be replayed only while it is its lead's last sent status: Avito's chain moves
forward only, so resending an earlier status asks Avito to go back (`forbidden: transition
bought_out -> accepted`), and the refused status is parked at the head of the lead, blocking it.
The dashboard offers the button by the same rule (`offered`), but the rule holds here, under the
row lock, for a forged post and the CLI alike.

A replayed item keeps its place (`seq`) in the lead's sequence, so it becomes the lead's head
again: statuses after it wait until it is sent, as they did the first time. The new key is needed
because Avito applies each key once; resending under the old one would change nothing there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


# Why an action was refused, for the dashboard to say in Russian; the message is the CLI's.
UNKNOWN_ACTION, NO_ITEM, WRONG_STATE, NOT_LAST_SENT = (
    "unknown_action",
    "no_item",
    "wrong_state",
    "not_last_sent",
)
# A later item in these states has reached Avito or may be reaching it now.
_GONE_OUT = (OutboxState.SENT, OutboxState.SENDING)


class ActionRefused(ValueError):
    """The item does not exist, is not in a state the action applies to, or acting on it would
    send Avito a status out of the chain's order."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def last_sent_id(lead_items: Iterable[OutboxItem]) -> int | None:
    """Of one lead's items, the sent one no later status has followed out; None if the latest to
    go out is still being sent, or nothing went out yet."""
    gone = [item for item in lead_items if item.state in _GONE_OUT]
    if not gone:
        return None
    latest = max(gone, key=lambda item: item.seq)
    return latest.id if latest.state == OutboxState.SENT else None


def offered(item: OutboxItem, *, last_sent: int | None) -> tuple[str, ...]:
    """The actions `act` would accept for the item now, given its lead's `last_sent_id`."""
    return tuple(
        action
        for action, (sources, _) in ALLOWED.items()
        if item.state in sources and not _replays_out_of_order(action, item, last_sent)
    )


def _replays_out_of_order(action: str, item: OutboxItem, last_sent: int | None) -> bool:
    return action == "replay" and item.state == OutboxState.SENT and item.id != last_sent


async def lead_last_sent(session: AsyncSession, lead_id: int) -> int | None:
    statement = select(OutboxItem).where(
        OutboxItem.lead_id == lead_id, OutboxItem.state.in_(_GONE_OUT)
    )
    return last_sent_id((await session.scalars(statement)).all())


async def act(
    session: AsyncSession, *, item_id: int, action: str, actor: str, note: str | None, now: datetime
) -> OutboxItem:
    if action not in ALLOWED:
        raise ActionRefused(
            f"unknown action {action!r}: one of {', '.join(ALLOWED)}", UNKNOWN_ACTION
        )
    item = await session.get(OutboxItem, item_id, with_for_update=True)
    if item is None:
        raise ActionRefused(f"no outbox item {item_id}", NO_ITEM)
    sources, target = ALLOWED[action]
    if item.state not in sources:
        raise ActionRefused(f"cannot {action} item {item_id}: it is {item.state}", WRONG_STATE)
    if _replays_out_of_order(action, item, await lead_last_sent(session, item.lead_id)):
        raise ActionRefused(
            f"cannot replay item {item_id}: {item.status} is not the last status sent for lead "
            f"{item.avito_lead_id}, and Avito refuses a status behind its current one",
            NOT_LAST_SENT,
        )
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


# Who gives up a status when Avito shows that the seller withdrew the request: no person, but
# the audit names the cause as it names a person.
AVITO_ACTOR = "avito"
_QUEUED = (OutboxState.PENDING, OutboxState.PARKED)


async def skip_withdrawn(
    session: AsyncSession,
    lead_id: int,
    *,
    note: str,
    now: datetime,
    refused: tuple[int, int] | None = None,
) -> int:
    """Give up the lead's statuses still queued (pending or parked) because its seller withdrew
    the request on Avito, which applies nothing to it any more: skipped, never parked, each one
    audited. `refused`: the `(item id, claim)` of a status Avito just refused for it, settled
    the same way if that claim still holds it. A status being sent now is left to its answer.
    Returns how many were skipped."""
    statement = (
        select(OutboxItem)
        .where(OutboxItem.lead_id == lead_id)
        .order_by(OutboxItem.seq)
        .with_for_update()
    )
    skipped = 0
    for item in (await session.scalars(statement)).all():
        claimed = refused is not None and (item.id, item.attempts) == refused
        if item.state in _QUEUED or (claimed and item.state == OutboxState.SENDING):
            before = item.state
            item.state = OutboxState.SKIPPED
            item.last_error = note
            item.lease_until, item.verify_first = None, False
            session.add(
                OperatorAction(
                    at=now,
                    actor=AVITO_ACTOR,
                    action="skip",
                    outbox_id=item.id,
                    state_before=before,
                    state_after=OutboxState.SKIPPED,
                    note=note,
                )
            )
            skipped += 1
    await session.flush()
    return skipped
