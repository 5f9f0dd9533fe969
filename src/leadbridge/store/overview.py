"""The numbers of the dashboard's overview: funnel reach, this week's KPIs, sync health."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store import outbox
from leadbridge.store.tables import InboxEvent, Lead, OAuthToken, OutboxItem, StatusChange


@dataclass(frozen=True, slots=True)
class WeekKpis:
    requests: int
    bought_out: int
    bought_out_kopecks: int


@dataclass(frozen=True, slots=True)
class SyncHealth:
    inbox_backlog: int
    inbox_oldest: datetime | None  # received, not processed yet: the inbox lag starts here
    outbox_pending: int
    outbox_retrying: int
    outbox_parked: int
    outbox_oldest: datetime | None
    token_expires_at: datetime | None


async def furthest_positions(session: AsyncSession, positions: Mapping[str, int]) -> dict[int, int]:
    """Deals per furthest funnel position reached, from the status log and the current stage."""
    if not positions:
        return {}
    seen = union(
        select(StatusChange.lead_id.label("lead_id"), StatusChange.stage_key.label("stage")),
        select(Lead.id.label("lead_id"), Lead.stage_key.label("stage")),
    ).subquery()
    position = case(
        *((seen.c.stage == key, literal(value)) for key, value in positions.items()),
        else_=literal(-1),
    )
    per_lead = (
        select(seen.c.lead_id, func.max(position).label("furthest"))
        .group_by(seen.c.lead_id)
        .subquery()
    )
    rows = await session.execute(
        select(per_lead.c.furthest, func.count())
        .where(per_lead.c.furthest >= 0)
        .group_by(per_lead.c.furthest)
    )
    return {int(furthest): int(count) for furthest, count in rows.all()}


async def week_kpis(session: AsyncSession, *, since: datetime, commission_status: str) -> WeekKpis:
    requests = await session.scalar(
        select(func.count()).select_from(Lead).where(Lead.avito_created_at >= since)
    )
    # The price sent with the commission status is the final one; the offer is the fallback.
    price = func.coalesce(OutboxItem.price_kopecks, Lead.buyout_price_kopecks)
    bought = (
        await session.execute(
            select(func.count(OutboxItem.id), func.coalesce(func.sum(price), 0))
            .join(Lead, Lead.id == OutboxItem.lead_id)
            .where(OutboxItem.status == commission_status, OutboxItem.occurred_at >= since)
        )
    ).one()
    return WeekKpis(int(requests or 0), int(bought[0]), int(bought[1]))


async def sync_health(session: AsyncSession) -> SyncHealth:
    unprocessed = InboxEvent.processed_at.is_(None)
    inbox_row = (
        await session.execute(
            select(func.count(InboxEvent.id), func.min(InboxEvent.received_at)).where(unprocessed)
        )
    ).one()
    by_state = await outbox.count_by_state(session)
    token_expiry = await session.scalar(
        select(OAuthToken.expires_at).where(OAuthToken.provider == "amocrm")
    )
    return SyncHealth(
        inbox_backlog=int(inbox_row[0]),
        inbox_oldest=inbox_row[1],
        outbox_pending=by_state.get(OutboxState.PENDING, 0),
        outbox_retrying=await outbox.retrying_count(session),
        outbox_parked=by_state.get(OutboxState.PARKED, 0),
        outbox_oldest=await outbox.oldest_pending_since(session),
        token_expires_at=token_expiry,
    )
