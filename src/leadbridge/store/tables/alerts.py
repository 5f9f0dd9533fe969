"""Alerts (0017): incidents the rules opened, and each message about them per channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base


class AlertIncident(Base):
    """One incident of one rule, from the first sighting of its cause until it resolved.

    `open_rule` is the rule's code while the incident is open and NULL once resolved: a unique
    column, so two evaluators racing after an election change cannot open the same rule twice
    (NULLs never collide, on SQLite and PostgreSQL alike)."""

    __tablename__ = "alert_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    open_rule: Mapped[str | None] = mapped_column(String(64), unique=True)
    severity: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(index=True)
    cause_since: Mapped[datetime]
    last_firing_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    count: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str] = mapped_column(Text, default="")


class AlertMessage(Base):
    """A message about an incident for one channel: queued with its text, sent when due (quiet
    hours hold warnings back), tried again after a failure; `last_error` is what the dashboard
    shows of a channel that fails."""

    __tablename__ = "alert_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("alert_incidents.id"), index=True)
    moment: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None]  # the last failure; with `given_up_at`, the end of tries
    given_up_at: Mapped[datetime | None]
