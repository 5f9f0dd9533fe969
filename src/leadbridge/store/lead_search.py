"""Finding leads for the dashboard: by id, phone (or its last digits), seller's name or model,
filtered by stage, city and outbox.

A number of four digits or more (punctuation ignored: `391-52-34`) is looked up as an id or the
end of a phone, each by an index; anything else is also matched against the model (case and
spacing ignored, `айфон` read as `iphone`) and the seller's name, which reads every lead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, exists, false, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.functions import Function

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store.tables import Lead, OutboxItem
from leadbridge.store.upsert import dialect_name

# Outbox filters a person thinks in; "retrying" is a pending item that already failed once.
OUTBOX_FILTERS = (
    OutboxState.PENDING,
    "retrying",
    OutboxState.PARKED,
    OutboxState.SENT,
    OutboxState.SKIPPED,
)
# Fewer digits than this match too many phones to be worth it (and read like a model: "13").
PHONE_SUFFIX_DIGITS = 4
# SQLite's lower() folds ASCII only; the search registers this on its connection for Cyrillic.
_SQLITE_FOLD = "leadbridge_fold"
# How sellers write the models in Russian; the stem takes any ending ("айфона", "айфоне").
_MODEL_WORDS = {
    re.compile(r"айфон[а-я]*"): "iphone",
    re.compile(r"айпад[а-я]*"): "ipad",
    re.compile(r"макбук[а-я]*"): "macbook",
    re.compile(r"эйрподс[а-я]*"): "airpods",
}
_MODEL_SPACING = re.compile(r"[\s\-]+")


@dataclass(frozen=True, slots=True)
class LeadQuery:
    text: str = ""
    phone: str | None = None  # the text as E.164, when it reads as a phone number
    stage: str | None = None
    city: str | None = None
    outbox_state: str | None = None
    page: int = 1
    per_page: int = 25
    # Whether the searcher may find leads by the seller's name and phone ending: a role that
    # sees them masked must not learn them by trying.
    personal_data: bool = False


@dataclass(frozen=True, slots=True)
class LeadPage:
    leads: Sequence[Lead]
    total: int
    page: int  # the page shown: the one asked for, or the last one when that was past the end
    per_page: int

    @property
    def pages(self) -> int:
        return _pages(self.total, self.per_page)


async def search(session: AsyncSession, query: LeadQuery) -> LeadPage:
    dialect = dialect_name(session)
    if dialect == "sqlite" and query.text.strip():
        await _register_fold(session)
    conditions = conditions_of(query, dialect)
    total = int(
        await session.scalar(select(func.count()).select_from(Lead).where(*conditions)) or 0
    )
    # A page past the end (an old link, a hand-edited address) shows the last one rather than
    # "Найдено: N" above an empty table.
    page = min(query.page, _pages(total, query.per_page))
    statement = (
        select(Lead)
        .where(*conditions)
        .order_by(Lead.id.desc())
        .offset((page - 1) * query.per_page)
        .limit(query.per_page)
    )
    found = (await session.scalars(statement)).all()
    return LeadPage(leads=found, total=total, page=page, per_page=query.per_page)


async def cities(session: AsyncSession) -> list[str]:
    statement = select(Lead.city).where(Lead.city.is_not(None)).distinct().order_by(Lead.city)
    return [city for city in (await session.scalars(statement)).all() if city]


def folded(text: str) -> str:
    """What both sides of a name or model comparison are reduced to: lower case, ё as е."""
    return text.lower().replace("ё", "е")


def model_key(text: str) -> str:
    """`Айфон 13 Pro` → `iphone13pro`: how a typed model is compared with the stored one."""
    key = folded(text)
    for word, latin in _MODEL_WORDS.items():
        key = word.sub(latin, key)
    return _MODEL_SPACING.sub("", key)


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def conditions_of(query: LeadQuery, dialect: str) -> list[ColumnElement[bool]]:
    """What `search` filters by; public so that a test can ask the database for its plan."""
    conditions: list[ColumnElement[bool]] = []
    if query.text.strip():
        conditions.append(_matches_text(query, dialect))
    if query.stage:
        conditions.append(Lead.stage_key == query.stage)
    if query.city:
        conditions.append(Lead.city == query.city)
    if query.outbox_state:
        conditions.append(_has_outbox_item(query.outbox_state))
    return conditions


def _matches_text(query: LeadQuery, dialect: str) -> ColumnElement[bool]:
    """One box for every id a person may have at hand: Avito's, amoCRM's, a phone or its end,
    the seller's name, a model."""
    text = query.text.strip()
    options: list[ColumnElement[bool]] = [Lead.avito_lead_id == text]
    if text.isdigit() and len(text) <= 18:  # fits a BIGINT
        options.append(Lead.amo_lead_id == int(text))
    if query.phone:
        options.append(Lead.seller_phone == query.phone)
    digits = "".join(char for char in text if char.isdigit())
    if len(digits) >= PHONE_SUFFIX_DIGITS and not any(char.isalpha() for char in text):
        # A number: every option is an index lookup, so the model and the name, which would
        # read the whole table for a match nobody types digits for, are left out.
        if query.personal_data:
            options.append(_phone_ends_with(digits, dialect))
        return or_(*options)
    if key := model_key(text):
        spacing_ignored = func.replace(func.replace(_fold(Lead.model, dialect), " ", ""), "-", "")
        options.append(_contains(spacing_ignored, key))
    if query.personal_data:
        options.append(_contains(_fold(Lead.seller_name, dialect), folded(text)))
    return or_(*options)


def _phone_ends_with(digits: str, dialect: str) -> ColumnElement[bool]:
    # The indexed last four narrow it down to a few leads; LIKE checks the rest of the digits.
    return and_(
        _last_four(dialect) == digits[-PHONE_SUFFIX_DIGITS:],
        Lead.seller_phone.like(f"%{digits}"),
    )


def _last_four(dialect: str) -> ColumnElement[str]:
    """The expression migration 0021 indexes: a phone's last four characters, its last four
    digits as phones are stored in E.164 (`+79161234512`). Written exactly as indexed, with the
    constant inline (a bound parameter would not match the index's expression)."""
    if dialect == "postgresql":
        return func.right(Lead.seller_phone, literal_column(str(PHONE_SUFFIX_DIGITS)))
    return func.substr(Lead.seller_phone, literal_column(str(-PHONE_SUFFIX_DIGITS)))


def _fold(column: Any, dialect: str) -> ColumnElement[str]:
    if dialect == "sqlite":
        return Function(_SQLITE_FOLD, column, type_=String())
    return func.replace(func.lower(column), "ё", "е")


def _contains(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    return column.like(f"%{_escaped(text)}%", escape="\\")


async def _register_fold(session: AsyncSession) -> None:
    """SQLite functions live on the connection, and a pooled connection may be new: register
    before each search that needs it (cheap: no statement is run)."""
    connection = await (await session.connection()).get_raw_connection()
    driver: Any = connection.driver_connection  # aiosqlite's connection
    await driver.create_function(_SQLITE_FOLD, 1, _fold_in_sqlite, deterministic=True)


def _fold_in_sqlite(value: str | None) -> str | None:
    return folded(value) if value is not None else None


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
