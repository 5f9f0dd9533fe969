"""Retention of personal data (0020): when each deal closed, when its seller's data went, and
the audit of every purge run.

A table of its own rather than columns of `leads`: it is kept by the purge job from the
append-only status log (store/retention.py), so the flows that write leads stay as they are.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base


class LeadClosure(Base):
    """One row per lead that has ever been closed: when (None: reopened since), and when its
    personal data was anonymized (None: not yet)."""

    __tablename__ = "lead_closures"
    # The purge's only read of candidates: not anonymized yet, closed before the cut-off,
    # oldest first. An index range scan, however long the history.
    __table_args__ = (Index("ix_lead_closures_due", "anonymized_at", "closed_at"),)

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True)
    closed_at: Mapped[datetime | None]
    anonymized_at: Mapped[datetime | None]


class PrivacyRun(Base):
    """The audit of one purge: who ran it, with what cut-off, and what it anonymized. Counted
    in the transaction of each batch, so a run cut short still says what it did."""

    __tablename__ = "privacy_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    cutoff: Mapped[datetime]
    leads: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    contacts: Mapped[int] = mapped_column(Integer, default=0)
