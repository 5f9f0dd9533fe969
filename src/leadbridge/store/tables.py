"""The schema. Changing it means a new Alembic revision in `migrations/versions`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadbridge.store.sealed import SealedText
from leadbridge.store.types import JsonColumn, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JsonColumn,
    }


class Lead(Base):
    """One Avito buyout request and the amoCRM deal made of it."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    avito_lead_id: Mapped[str] = mapped_column(String(64), unique=True)
    offer_type: Mapped[str] = mapped_column(String(32))
    device: Mapped[dict[str, Any]]
    model: Mapped[str] = mapped_column(String(128), index=True)
    seller_name: Mapped[str] = mapped_column(String(256))
    seller_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    city: Mapped[str | None] = mapped_column(String(128), index=True)
    item_url: Mapped[str | None] = mapped_column(Text)
    buyout_price_kopecks: Mapped[int] = mapped_column(BigInteger)
    seller_price_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    avito_created_at: Mapped[datetime]
    raw_payload: Mapped[dict[str, Any]]
    deal_state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    deal_attempts: Mapped[int] = mapped_column(Integer, default=0)
    amo_lead_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    amo_contact_id: Mapped[int | None] = mapped_column(BigInteger)
    note_added_at: Mapped[datetime | None]
    note_attempted_at: Mapped[datetime | None]
    stage_key: Mapped[str | None] = mapped_column(String(64), index=True)
    avito_status: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


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
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # Relay leases (0004): a `sending` item whose lease ran out belongs to no one and is claimed
    # again; `verify_first` says its last send may have reached Avito, so read Avito back first.
    lease_until: Mapped[datetime | None]
    verify_first: Mapped[bool] = mapped_column(Boolean, default=False)


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


class OAuthToken(Base):
    """The current token pair of one provider. Rotated under a row lock; encrypted at rest."""

    __tablename__ = "oauth_tokens"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(SealedText)
    refresh_token: Mapped[str | None] = mapped_column(SealedText)
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CrmObject(Base):
    """Ids of what leadbridge provisioned in amoCRM: pipeline, stages, fields, enums, reasons."""

    __tablename__ = "crm_objects"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(256))
    amo_id: Mapped[int] = mapped_column(BigInteger)


class CrmContact(Base):
    """Our own phone index of amoCRM contacts: amoCRM's `query` search is fuzzy."""

    __tablename__ = "crm_contacts"

    phone_e164: Mapped[str] = mapped_column(String(32), primary_key=True)
    amo_contact_id: Mapped[int] = mapped_column(BigInteger)


# --- Settlement with Avito (migration 0005) -------------------------------------------------

# Settlement reads acknowledged statuses of one kind within a week: by status, then moment.
Index("ix_outbox_status_occurred_at", OutboxItem.status, OutboxItem.occurred_at)


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


# --- Reconciliation (migration 0006) -------------------------------------------------------


class ReconciliationRun(Base):
    """One comparison of amoCRM, our records and Avito, and what it cost in requests."""

    __tablename__ = "reconciliation_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    fix: Mapped[bool] = mapped_column(Boolean)
    leads_checked: Mapped[int] = mapped_column(Integer, default=0)
    deals_listed: Mapped[int] = mapped_column(Integer, default=0)
    crm_requests: Mapped[int] = mapped_column(Integer, default=0)
    avito_reads: Mapped[int] = mapped_column(Integer, default=0)


class ReconciliationItem(Base):
    """One drift a run found; `action` says whether it was queued for repair or left to a person."""

    __tablename__ = "reconciliation_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    avito_lead_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))


# --- Dashboard users and secrets -------------------------------------------------------------


class DashboardUser(Base):
    """A person who may log in to the dashboard. Only the argon2 hash of the password is kept."""

    __tablename__ = "dashboard_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AppSecret(Base):
    """Secrets leadbridge generates for itself when none is configured (the session key)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


# --- Relay: shared rate limiter (0004) ---------------------------------------------------------


class RateLimitToken(Base):
    """One of the `limit` requests a partner admits per window for one limited method, shared by
    every process that calls it (see `store/rate_limits.py`).

    A token is busy from before its request is sent until a window after its answer; times are
    seconds since the epoch of the database's own clock, so workers on machines with skewed
    clocks still agree. `paused_until`: the partner said slow down (a 429) until then.
    """

    __tablename__ = "rate_limit_tokens"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[int] = mapped_column(Integer, primary_key=True)
    busy_until: Mapped[float] = mapped_column(Double)
    paused_until: Mapped[float] = mapped_column(Double)


# --- Supervision: what each process's loops last did (0010) -------------------------------------


class LoopHeartbeat(Base):
    """The last pass of one loop of one process, written every few seconds by its supervisor, so
    that `/readyz` and the dashboard of any process see a loop stalled in any other.

    `process` names a running process (host, pid and a random part); a process that stops
    cleanly removes its rows, a killed one leaves them to age out.
    """

    __tablename__ = "loop_heartbeats"

    process: Mapped[str] = mapped_column(String(128), primary_key=True)
    loop: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    period_s: Mapped[float] = mapped_column(Double)
    state: Mapped[str] = mapped_column(String(16))
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    last_pass_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


# --- Dashboard: server-side sessions and the login budget (0011) -------------------------------


class WebSession(Base):
    """A logged-in dashboard session. The cookie carries a random token; only its SHA-256 is
    kept here, so that whoever reads the database (a backup) cannot present a session.

    Logout, a new password and removing the user delete the rows: a copied cookie then opens
    nothing. `last_seen_at` is refreshed at most once a minute, for the idle timeout.
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)


class LoginBudget(Base):
    """Login attempts counted in the current window of one key (an address, or a user name),
    shared by every web process. A row is counted up in one atomic statement before the password
    is checked, so concurrent attempts cannot all pass a check made before any was counted.

    `window_start` is seconds since the epoch; a window that is over starts again at 1.
    """

    __tablename__ = "login_budget"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_start: Mapped[float] = mapped_column(Double, index=True)
    attempts: Mapped[int] = mapped_column(Integer)
