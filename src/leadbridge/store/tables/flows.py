"""What the flows pass along: raw events in, the stage-change log, Avito statuses out (with
every attempt and every person's action on them), and where the pull feeds stopped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store.tables.base import Base


class InboxEvent(Base):
    """Every raw event received, before processing; the unique key makes a duplicate a no-op."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("source", "event_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(256))
    channel: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    # Set, with `processed_at` and the reason in `error`, when the event can never be processed:
    # it is set aside for a person instead of blocking the events behind it.
    quarantined_at: Mapped[datetime | None] = mapped_column(index=True)
    # Set when a quarantined event was interpreted again (after the mapping was fixed) and its
    # request or change went on; `error` then keeps why it was held back.
    replayed_at: Mapped[datetime | None]
    replayed_by: Mapped[str | None] = mapped_column(String(128))  # who replayed it: the audit


class StatusChange(Base):
    """Append-only log of deal stage changes seen in amoCRM. Rows are never updated."""

    __tablename__ = "status_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    change_key: Mapped[str] = mapped_column(String(128), unique=True)
    old_status_id: Mapped[int | None] = mapped_column(BigInteger)
    new_status_id: Mapped[int] = mapped_column(BigInteger)
    pipeline_id: Mapped[int | None] = mapped_column(BigInteger)
    stage_key: Mapped[str | None] = mapped_column(String(64))
    price_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    loss_reason: Mapped[str | None] = mapped_column(String(256))
    verdict: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class OutboxItem(Base):
    """An Avito status to send. Per lead, only the lowest unsent `seq` may go out."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("lead_id", "seq"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    seq: Mapped[int] = mapped_column(Integer)
    avito_lead_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(64))
    price_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims: a claim's identity
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # Relay leases (0004): a `sending` item whose lease ran out belongs to no one and is claimed
    # again; `verify_first` says its last send may have reached Avito, so read Avito back first.
    lease_until: Mapped[datetime | None]
    verify_first: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sends (0015), the claims that only read Avito back left out: what the backoff grows with.
    sends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SendAttempt(Base):
    """Each try to deliver an outbox item and what Avito answered, for the lead's timeline."""

    __tablename__ = "send_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    attempted_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


class OperatorAction(Base):
    """Audit trail of what a person did to the outbox, and why."""

    __tablename__ = "operator_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    state_before: Mapped[str] = mapped_column(String(16))
    state_after: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class Cursor(Base):
    """Where a pull feed stopped, by name."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
