"""Reconciliation (migration 0006): the runs and the drift each found."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base


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
