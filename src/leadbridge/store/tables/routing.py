"""Routing and tasks (0016): each team's turn, and the first-call task of each new deal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base


class RoutingTurn(Base):
    """How many deals a team has given out: whose turn is next survives restarts, and every
    worker reads and moves the same one under a row lock."""

    __tablename__ = "routing_turns"

    team: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class LeadTask(Base):
    """The task «Связаться с продавцом» of a new deal: planned when the deal is recorded,
    marked attempted before it is sent (tasks carry no idempotency key), added once amoCRM has
    it."""

    __tablename__ = "lead_tasks"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True)
    responsible_user_id: Mapped[int | None] = mapped_column(BigInteger)
    due_at: Mapped[datetime]
    attempted_at: Mapped[datetime | None]
    amo_task_id: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime | None] = mapped_column(index=True)
