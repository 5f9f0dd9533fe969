"""A seller's changes of requests: the raw events waiting in the inbox, the changes applied to
leads, their effects in amoCRM, and what the withdrawals came to (for the demo's checks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.lead import BuyoutRequest
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.repeat_seller import normalised_imei
from leadbridge.domain.seller_changes import KeptFields
from leadbridge.store import inbox
from leadbridge.store.database import Database
from leadbridge.store.leads import device_json
from leadbridge.store.outbox import BLOCKING_STATES
from leadbridge.store.tables import InboxEvent, Lead, OutboxItem, SellerChange

KEY_PREFIX = "change:"
UPDATED, WITHDRAWN = "updated", "withdrawn"


async def add_events(
    session: AsyncSession, events: Sequence[tuple[str, str, str]], now: datetime
) -> set[str]:
    """Store `(event_key, channel, body)` changes of Avito's raw, to be applied by their flow;
    the keys that were new (a change seen before, by either channel, is stored once)."""
    return await inbox.add_avito_events(session, events, now, processed=False)


async def waiting_events(session: AsyncSession, limit: int, now: datetime) -> Sequence[InboxEvent]:
    """Changes not applied yet and due, oldest first: a lead's changes apply in arrival order."""
    return await inbox.unprocessed(session, "avito", limit, now, key_prefix=KEY_PREFIX)


async def requeue(session: AsyncSession, event_ids: Sequence[int]) -> None:
    """Quarantined changes to be applied again (a replay, after the mapping was fixed); their
    `error` and `quarantined_at` stay as the record of why they were held."""
    if event_ids:
        await session.execute(
            update(InboxEvent)
            .where(InboxEvent.id.in_(event_ids))
            .values(processed_at=None, next_attempt_at=None, attempts=0)
        )


async def lead_for_update(session: AsyncSession, avito_lead_id: str) -> Lead | None:
    statement = select(Lead).where(Lead.avito_lead_id == avito_lead_id).with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def has_change(session: AsyncSession, change_key: str) -> bool:
    found = await session.scalar(
        select(SellerChange.id).where(SellerChange.change_key == change_key)
    )
    return found is not None


async def is_withdrawn(session: AsyncSession, lead_id: int) -> bool:
    statement = select(SellerChange.id).where(
        SellerChange.lead_id == lead_id, SellerChange.kind == WITHDRAWN
    )
    return (await session.scalar(statement.limit(1))) is not None


async def latest_update_at(session: AsyncSession, lead_id: int) -> datetime | None:
    """When the latest edit applied to the lead was made on Avito."""
    statement = select(func.max(SellerChange.changed_at)).where(
        SellerChange.lead_id == lead_id, SellerChange.kind == UPDATED
    )
    latest: datetime | None = await session.scalar(statement)
    return latest


def kept_fields(lead: Lead) -> KeptFields:
    return KeptFields(
        lead.buyout_price_kopecks, lead.seller_price_kopecks, lead.seller_phone, lead.device
    )


def request_fields(request: BuyoutRequest) -> KeptFields:
    """The request's fields in the shape they are stored in: a new request's (store/leads.py)."""
    return KeptFields(
        request.buyout_price_kopecks,
        request.seller_price_kopecks,
        request.seller.phone,
        device_json(request),
    )


def take_fields(lead: Lead, fields: KeptFields, now: datetime) -> None:
    """The lead takes the seller's new values; the caller holds its row lock."""
    lead.buyout_price_kopecks = fields.buyout_price_kopecks
    lead.seller_price_kopecks = fields.seller_price_kopecks
    lead.seller_phone = fields.phone
    lead.device = dict(fields.device)
    lead.model = str(fields.device.get("model") or lead.model)
    # The IMEI is the key a later request of the same device is matched by (repeat sellers).
    lead.imei = normalised_imei(fields.device.get("imei"))
    lead.updated_at = now


async def record(session: AsyncSession, change: SellerChange) -> None:
    session.add(change)
    await session.flush()


@dataclass(frozen=True, slots=True)
class Pending:
    """A change whose effects in amoCRM are not all done, with what they need of its lead."""

    change: SellerChange
    lead: Lead


async def pending(session: AsyncSession, limit: int) -> list[Pending]:
    """The earliest unfinished change of each lead, up to `limit` leads: a lead's changes reach
    its deal in the order they were made (an edit, then the withdrawal)."""
    first = (
        select(func.min(SellerChange.id))
        .where(SellerChange.done_at.is_(None))
        .group_by(SellerChange.lead_id)
        .scalar_subquery()
    )
    statement = (
        select(SellerChange, Lead)
        .join(Lead, Lead.id == SellerChange.lead_id)
        .where(SellerChange.id.in_(first))
        .order_by(SellerChange.id)
        .limit(limit)
    )
    rows = (await session.execute(statement)).all()
    return [Pending(change, lead) for change, lead in rows]


async def mark(session: AsyncSession, change_ids: Sequence[int], **values: Any) -> None:
    """Set `values` (a step's time, an error) on the changes."""
    if change_ids:
        await session.execute(
            update(SellerChange).where(SellerChange.id.in_(change_ids)).values(**values)
        )


async def mark_each(session: AsyncSession, values: Mapping[int, Mapping[str, Any]]) -> None:
    for change_id, changed in values.items():
        await mark(session, [change_id], **changed)


async def withdrawn_summary(db: Database) -> dict[str, int]:
    """What the withdrawals came to: `leads` withdrawn, of which `settled` have every status
    settled (sent or skipped) and `parked` have one parked. The demo's invariant: parked 0."""
    withdrawn = (
        select(SellerChange.lead_id).where(SellerChange.kind == WITHDRAWN).distinct().subquery()
    )
    open_item = exists().where(
        and_(OutboxItem.lead_id == withdrawn.c.lead_id, OutboxItem.state.in_(BLOCKING_STATES))
    )
    parked_item = exists().where(
        and_(OutboxItem.lead_id == withdrawn.c.lead_id, OutboxItem.state == OutboxState.PARKED)
    )
    async with db.transaction() as session:
        total = await session.scalar(select(func.count()).select_from(withdrawn))
        unsettled = await session.scalar(
            select(func.count()).select_from(withdrawn).where(open_item)
        )
        parked = await session.scalar(
            select(func.count()).select_from(withdrawn).where(parked_item)
        )
    leads = int(total or 0)
    return {"leads": leads, "settled": leads - int(unsettled or 0), "parked": int(parked or 0)}
