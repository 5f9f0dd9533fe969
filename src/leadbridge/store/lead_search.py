"""Finding leads for the dashboard: by id, phone or model, filtered by stage, city and outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store.tables import Lead, OutboxItem

# Outbox filters a person thinks in; "retrying" is a pending item that already failed once.
OUTBOX_FILTERS = (
    OutboxState.PENDING,
    "retrying",
    OutboxState.PARKED,
    OutboxState.SENT,
    OutboxState.SKIPPED,
)


@dataclass(frozen=True, slots=True)
class LeadQuery:
    text: str = ""
    phone: str | None = None  # the text as E.164, when it reads as a phone number
    stage: str | None = None
    city: str | None = None
    outbox_state: str | None = None
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True, slots=True)
class LeadPage:
    leads: Sequence[Lead]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


async def search(session: AsyncSession, query: LeadQuery) -> LeadPage:
    conditions = _conditions(query)
    total = await session.scalar(select(func.count()).select_from(Lead).where(*conditions))
    statement = (
        select(Lead)
        .where(*conditions)
        .order_by(Lead.id.desc())
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    )
    found = (await session.scalars(statement)).all()
    return LeadPage(leads=found, total=int(total or 0), page=query.page, per_page=query.per_page)


async def cities(session: AsyncSession) -> list[str]:
    statement = select(Lead.city).where(Lead.city.is_not(None)).distinct().order_by(Lead.city)
    return [city for city in (await session.scalars(statement)).all() if city]


def _conditions(query: LeadQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.text.strip():
        conditions.append(_matches_text(query.text.strip(), query.phone))
    if query.stage:
        conditions.append(Lead.stage_key == query.stage)
    if query.city:
        conditions.append(Lead.city == query.city)
    if query.outbox_state:
        conditions.append(_has_outbox_item(query.outbox_state))
    return conditions


def _matches_text(text: str, phone: str | None) -> ColumnElement[bool]:
    """One box for every id a person may have at hand: Avito's, amoCRM's, a phone, a model."""
    options: list[ColumnElement[bool]] = [
        Lead.avito_lead_id == text,
        Lead.model.ilike(f"%{_escaped(text)}%", escape="\\"),
    ]
    if text.isdigit() and len(text) <= 18:  # fits a BIGINT
        options.append(Lead.amo_lead_id == int(text))
    if phone:
        options.append(Lead.seller_phone == phone)
    return or_(*options)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_outbox_item(state: str) -> ColumnElement[bool]:
    if state not in OUTBOX_FILTERS:
        return false()
    item_state = OutboxState.PENDING if state == "retrying" else state
    where = [OutboxItem.lead_id == Lead.id, OutboxItem.state == item_state]
    if state == "retrying":
        where.append(OutboxItem.attempts > 0)
    return exists().where(and_(*where))
