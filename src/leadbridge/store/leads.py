"""Leads: the buyout requests and the amoCRM deals made of them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.lead import BuyoutRequest
from leadbridge.domain.repeat_seller import EarlierDeal, Repeat, normalised_imei
from leadbridge.store.tables import Lead
from leadbridge.store.upsert import insert_ignoring_conflict, insert_new_rows

PENDING, CREATED = "pending", "created"
DEAL_STATES = (PENDING, CREATED)  # a lead waits for its deal, or has it


async def add_if_new(
    session: AsyncSession, request: BuyoutRequest, raw: dict[str, Any], now: datetime
) -> int | None:
    """Store a request unless its Avito id is already known; the new lead's id or None."""
    inserted = await insert_ignoring_conflict(
        session, Lead, _row(request, raw, now), ["avito_lead_id"]
    )
    return int(inserted) if inserted is not None else None


async def add_new(
    session: AsyncSession, requests: Sequence[tuple[BuyoutRequest, dict[str, Any]]], now: datetime
) -> set[str]:
    """Store many requests (each with its raw payload) in one statement, those whose Avito id is
    known skipped; the Avito ids stored."""
    rows = [_row(request, raw, now) for request, raw in requests]
    return await insert_new_rows(session, Lead, rows, ["avito_lead_id"], "avito_lead_id")


def _row(request: BuyoutRequest, raw: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "avito_lead_id": request.avito_lead_id,
        "offer_type": request.offer_type,
        "device": device_json(request),
        "model": request.device.model,
        "seller_name": request.seller.name,
        "seller_phone": request.seller.phone,
        "imei": normalised_imei(request.device.imei),
        "city": request.city,
        "item_url": request.item_url,
        "buyout_price_kopecks": request.buyout_price_kopecks,
        "seller_price_kopecks": request.seller_price_kopecks,
        "avito_created_at": request.created_at,
        "raw_payload": raw,
        "deal_state": PENDING,
        "deal_attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def device_json(request: BuyoutRequest) -> dict[str, Any]:
    device = request.device
    return {
        "category": device.category,
        "vendor": device.vendor,
        "model": device.model,
        "memory": device.memory,
        "color": device.color,
        "ram": device.ram,
        "battery_health": device.battery_health,
        "imei": device.imei,
        "kit": list(device.kit),
        "condition": device.condition,
        "device_history": device.device_history,
        "screen_condition": device.screen_condition,
        "case_condition": device.case_condition,
        "defects": {group: list(items) for group, items in device.defects.items()},
    }


async def awaiting_deal(session: AsyncSession, limit: int) -> Sequence[Lead]:
    statement = select(Lead).where(Lead.deal_state == PENDING).order_by(Lead.id).limit(limit)
    return (await session.scalars(statement)).all()


async def awaiting_note(session: AsyncSession, limit: int) -> Sequence[Lead]:
    statement = (
        select(Lead)
        .where(Lead.deal_state == CREATED, Lead.note_added_at.is_(None))
        .order_by(Lead.id)
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def mark_notes_added(session: AsyncSession, lead_ids: Sequence[int], now: datetime) -> None:
    await session.execute(update(Lead).where(Lead.id.in_(lead_ids)).values(note_added_at=now))


async def mark_notes_attempted(
    session: AsyncSession, lead_ids: Sequence[int], now: datetime
) -> None:
    """Set before the notes are sent: after a crash, these deals are looked at before their
    note is sent again (amoCRM notes carry no idempotency key)."""
    await session.execute(update(Lead).where(Lead.id.in_(lead_ids)).values(note_attempted_at=now))


async def by_id(session: AsyncSession, lead_id: int) -> Lead | None:
    return await session.get(Lead, lead_id)


async def by_amo_lead_id(
    session: AsyncSession, amo_lead_id: int, *, lock: bool = False
) -> Lead | None:
    statement = select(Lead).where(Lead.amo_lead_id == amo_lead_id)
    if lock:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def count_by_deal_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Lead.deal_state, func.count()).group_by(Lead.deal_state))
    return {state: count for state, count in rows.all()}


async def count_by_stage(session: AsyncSession) -> dict[str | None, int]:
    rows = await session.execute(select(Lead.stage_key, func.count()).group_by(Lead.stage_key))
    return {stage: count for stage, count in rows.all()}


async def first_created_at(session: AsyncSession) -> datetime | None:
    """When the oldest lead was stored: no deal of ours has an amoCRM event before it."""
    first: datetime | None = await session.scalar(select(func.min(Lead.created_at)))
    return first.replace(tzinfo=first.tzinfo or UTC) if first else None


async def recent(session: AsyncSession, limit: int) -> Sequence[Lead]:
    return (await session.scalars(select(Lead).order_by(Lead.id.desc()).limit(limit))).all()


@dataclass(frozen=True, slots=True)
class CreatedDeal:
    lead_id: int
    amo_lead_id: int
    amo_contact_id: int | None


async def mark_deals_created(
    session: AsyncSession,
    deals: Sequence[CreatedDeal],
    *,
    stage_key: str,
    avito_status: str | None,
    now: datetime,
) -> None:
    """One statement for the whole batch (an executemany by primary key)."""
    if not deals:
        return
    rows = [
        {
            "id": deal.lead_id,
            "deal_state": CREATED,
            "amo_lead_id": deal.amo_lead_id,
            "amo_contact_id": deal.amo_contact_id,
            "stage_key": stage_key,
            "avito_status": avito_status,
            "updated_at": now,
        }
        for deal in deals
    ]
    await session.execute(update(Lead), rows)


async def mark_deal_attempted(
    session: AsyncSession, lead_ids: Sequence[int], now: datetime
) -> None:
    """Counted before the request goes out: after a crash a lead with attempts is looked up
    in amoCRM before it is created again."""
    await session.execute(
        update(Lead)
        .where(Lead.id.in_(lead_ids))
        .values(deal_attempts=Lead.deal_attempts + 1, updated_at=now)
    )


async def open_deals(
    session: AsyncSession, user_ids: Collection[int], closed: Collection[str]
) -> dict[int, int]:
    """Per user, the leads routed to them whose last Avito status is not a closing one (a
    lead still waiting for its deal counts: it is the user's already)."""
    rows = await session.execute(
        select(Lead.responsible_user_id, func.count())
        .where(
            Lead.responsible_user_id.in_(list(user_ids)),
            Lead.avito_status.is_(None) | Lead.avito_status.not_in(list(closed)),
        )
        .group_by(Lead.responsible_user_id)
    )
    return {int(user): count for user, count in rows.all() if user is not None}


async def set_responsible(session: AsyncSession, owners: Mapping[int, int]) -> None:
    """lead id → the amoCRM user routing gave it to; one executemany by primary key."""
    if owners:
        rows = [{"id": lead_id, "responsible_user_id": user} for lead_id, user in owners.items()]
        await session.execute(update(Lead), rows)


async def earlier_deals(
    session: AsyncSession, phones: Collection[str], imeis: Collection[str], since: datetime
) -> list[EarlierDeal]:
    """The leads with a deal, created on Avito since `since`, that share a phone or an IMEI
    with the given ones: a whole batch's candidates in one query (by the two indexes)."""
    if not phones and not imeis:
        return []
    rows = await session.execute(
        select(
            Lead.id, Lead.amo_lead_id, Lead.seller_phone, Lead.imei, Lead.avito_created_at
        ).where(
            Lead.amo_lead_id.is_not(None),
            Lead.avito_created_at >= since,
            or_(Lead.seller_phone.in_(list(phones)), Lead.imei.in_(list(imeis))),
        )
    )
    return [
        EarlierDeal(lead_id, amo_lead_id, phone, imei, requested_at)
        for lead_id, amo_lead_id, phone, imei, requested_at in rows.all()
        if amo_lead_id is not None  # always, by the query: for the type
    ]


async def set_repeats(session: AsyncSession, repeats: Mapping[int, Repeat]) -> None:
    """Lead id → the deal it repeats; one executemany by primary key."""
    rows = [
        {
            "id": lead_id,
            "repeat_amo_lead_id": repeat.amo_lead_id,
            "repeat_requested_at": repeat.requested_at,
            "repeat_match": repeat.match.value,
        }
        for lead_id, repeat in repeats.items()
    ]
    if rows:
        await session.execute(update(Lead), rows)
