"""A seller's changes of requests on Avito (0019): each edit or withdrawal applied to a lead,
and how far its effects in amoCRM have got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base


class SellerChange(Base):
    """Recorded in the transaction that applies the change to the lead (and gives up the
    lead's queued statuses, for a withdrawal); its effects in amoCRM follow, each marked done —
    the note and the task marked attempted before they are sent, since neither carries an
    idempotency key."""

    __tablename__ = "seller_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    change_key: Mapped[str] = mapped_column(String(256), unique=True)  # the inbox key
    kind: Mapped[str] = mapped_column(String(16))  # updated, withdrawn
    changed_at: Mapped[datetime]  # Avito's time of the change, else when it was read
    recorded_at: Mapped[datetime]
    note_text: Mapped[str] = mapped_column(Text)
    # A withdrawal's: close_lost, urgent_task or note_only (domain/seller_changes.py).
    action: Mapped[str | None] = mapped_column(String(16))
    skipped_statuses: Mapped[int] = mapped_column(Integer, default=0)
    # The deal's fields (an update) or its stage (a withdrawal closing it) written; also set,
    # with `error`, when amoCRM refused the write for good: the note still tells the manager.
    patched_at: Mapped[datetime | None]
    note_attempted_at: Mapped[datetime | None]
    note_added_at: Mapped[datetime | None]
    task_attempted_at: Mapped[datetime | None]
    task_added_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None] = mapped_column(index=True)
    error: Mapped[str | None] = mapped_column(Text)
