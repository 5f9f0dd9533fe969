"""Contract drift: what Avito sent or answered that our mapping does not know (0013)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base


class ContractDrift(Base):
    """One kind of surprise in Avito's payloads or answers (an unknown field, enum value,
    status or error code), counted since it was first seen, with one masked sample for a person
    to recognise it by. A row per (kind, name): a field renamed in every payload is one row."""

    __tablename__ = "avito_contract_drift"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    seen: Mapped[int] = mapped_column(Integer, default=1)
    sample: Mapped[str] = mapped_column(Text)
