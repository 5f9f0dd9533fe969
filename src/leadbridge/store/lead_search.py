"""Finding leads for the dashboard: by id, phone (or its last digits), seller's name or model,
filtered by stage, city and outbox.

A number of four digits or more (punctuation ignored: `391-52-34`) is looked up as an id, the
end of a phone or, written with its country (`+7 916`, `8 916`), its start, each by an index;
anything else is also matched against the model (case and spacing ignored, `айфон` read as
`iphone`) and the seller's name. On PostgreSQL with `pg_trgm` (migration 0022) those two are
trigram index lookups; without it, and on SQLite, they read every lead. The SQL is the same
either way: the planner takes the index when there is one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
)
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


# Matches are counted up to this many and no further: a count of every match reads each matching
# row (25,000 of a million for «13 pro max», most of the search's time), and nobody pages through
# more than this; past it the page says «больше 1 000» and asks for a narrower search.
COUNT_CAP = 1000


@dataclass(frozen=True, slots=True)
class LeadPage:
    leads: Sequence[Lead]
    total: int  # the matches counted, COUNT_CAP + 1 at the most
    page: int  # the page shown: the one asked for, or the last one when that was past the end
    per_page: int

    @property
    def more(self) -> bool:
        """Whether there are more matches than COUNT_CAP."""
        return self.total > COUNT_CAP

    @property
    def pages(self) -> int:
        return _pages(min(self.total, COUNT_CAP), self.per_page)


async def search(session: AsyncSession, query: LeadQuery) -> LeadPage:
    dialect = dialect_name(session)
    if dialect == "sqlite" and query.text.strip():
        await _register_fold(session)
    conditions = conditions_of(query, dialect)
    counted = select(Lead.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
    total = int(await session.scalar(select(func.count()).select_from(counted)) or 0)
    # A page past the end (an old link, a hand-edited address) shows the last one rather than
    # "Найдено: N" above an empty table.
    page = min(query.page, _pages(min(total, COUNT_CAP), query.per_page))
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
            if prefix := phone_prefix(text):
                options.append(_phone_starts_with(prefix, dialect))
        return or_(*options)
    if key := model_key(text):
        options.append(_contains(_model_key_of(Lead.model, dialect), key))
    if query.personal_data:
        options.append(_contains(_fold(Lead.seller_name, dialect), folded(text)))
    return or_(*options)


def phone_prefix(text: str) -> str | None:
    """`+7 916`, `8 (916) 12`, `7916` → `+7916`: the start of a phone as stored (E.164), when
    the text begins the way a whole number does: with `+`, or with Russia's 7 or trunk 8. Other
    digits (`916 12`) are not taken as a start: an ending typed (`9161`) would then also list
    every phone that begins with it."""
    digits = "".join(char for char in text if char.isdigit())
    if not digits:
        return None
    if text.strip().startswith("+"):
        return "+" + digits
    if digits[0] == "8":
        return "+7" + digits[1:]
    if digits[0] == "7":
        return "+" + digits
    return None


def _phone_starts_with(prefix: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        # Served by migration 0022's `text_pattern_ops` index, which the planner uses for a
        # pattern it can read at planning: rendered inline (only `+` and digits: safe), since a
        # cached generic plan of a bound pattern would not be able to use it.
        return Lead.seller_phone.like(literal(f"{prefix}%", String(), literal_execute=True))
    # SQLite's LIKE ignores case, so no BINARY index serves it; a range of the plain
    # `ix_leads_seller_phone` does. The prefix ends in a digit, and `:` follows `9`.
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(Lead.seller_phone >= prefix, Lead.seller_phone < after)


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


def _model_key_of(column: Any, dialect: str) -> ColumnElement[str]:
    """The stored model as `model_key` reduces a typed one (the Russian words aside). On
    PostgreSQL the very expression migration 0022's trigram index is built on."""
    spacing_ignored = func.replace(_fold(column, dialect), _inline(" "), _inline(""))
    return func.replace(spacing_ignored, _inline("-"), _inline(""))


def _fold(column: Any, dialect: str) -> ColumnElement[str]:
    if dialect == "sqlite":
        return Function(_SQLITE_FOLD, column, type_=String())
    # Constants inline, as in migration 0022's index: PostgreSQL matches an index on an
    # expression only with the same constants, which bound parameters are not.
    return func.replace(func.lower(column), _inline("ё"), _inline("е"))


def _inline(constant: str) -> ColumnElement[str]:
    return literal_column("'" + constant.replace("'", "''") + "'", String())


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
