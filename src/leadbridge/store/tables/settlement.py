"""Settlement with Avito (migration 0005; Avito's lines kept raw and quarantine reasons, 0014)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base
from leadbridge.store.tables.flows import OutboxItem

# Settlement reads acknowledged statuses of one kind within a week: by status, then moment, then
# state, and on PostgreSQL with the columns the week's join returns (migration 0022).
Index(
    "ix_outbox_settlement_week",
    OutboxItem.status,
    OutboxItem.occurred_at,
    OutboxItem.state,
    postgresql_include=["lead_id", "avito_lead_id", "price_kopecks"],
)


class SettlementPeriod(Base):
    """One ISO week (Moscow) that was settled: when it was frozen and what the last check said."""

    __tablename__ = "settlement_periods"

    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    frozen_at: Mapped[datetime | None]
    line_count: Mapped[int | None] = mapped_column(Integer)
    total_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    checked_at: Mapped[datetime | None]
    matched: Mapped[int | None] = mapped_column(Integer)


class SettlementLine(Base):
    """A frozen week's line. Never updated: corrections are adjustment lines of a later week."""

    __tablename__ = "settlement_lines"
    __table_args__ = (UniqueConstraint("week", "line_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(ForeignKey("settlement_periods.week"))
    line_key: Mapped[str] = mapped_column(String(160))
    origin_key: Mapped[str] = mapped_column(String(96), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    avito_lead_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    category: Mapped[str] = mapped_column(String(32))
    base_price_kopecks: Mapped[int] = mapped_column(BigInteger)
    amount_kopecks: Mapped[int] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(Text)


class SettlementException(Base):
    """A line of the last diff against Avito's settlement that did not match."""

    __tablename__ = "settlement_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(ForeignKey("settlement_periods.week"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    line_key: Mapped[str] = mapped_column(String(160))
    avito_lead_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    our_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    avito_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    checked_at: Mapped[datetime]
    # Why a quarantined line of Avito's could not be read (outcome `quarantined`); else None.
    reason: Mapped[str | None] = mapped_column(Text)


class SettlementAvitoLine(Base):
    """A line of Avito's settlement answer for a week, kept as received before it is read.

    A table of its own rather than `inbox`: inbox rows are events the flows interpret and
    `avito quarantine replay` re-reads as leads, while these are lines of an answer read again
    by every check of the week. A line is known by its content (and, for identical lines in
    one answer, which copy it is), so fetching the same answer again adds nothing; a line a
    later answer no longer carries is kept, without a position."""

    __tablename__ = "settlement_avito_lines"
    __table_args__ = (UniqueConstraint("week", "digest", "occurrence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(ForeignKey("settlement_periods.week"))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the line's canonical JSON
    occurrence: Mapped[int] = mapped_column(Integer)  # 0, or 1… for repeats in one answer
    # Where the line stands in the week's latest answer (0-based); None: no longer in it.
    position: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)  # the line as JSON; a whole unreadable answer
    # Why the latest check could not read it; None once read (or not read yet).
    reason: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
