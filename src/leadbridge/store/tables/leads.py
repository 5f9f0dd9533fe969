"""The buyout requests from Avito and the amoCRM deals made of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base


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
    avito_created_at: Mapped[datetime] = mapped_column(index=True)
    raw_payload: Mapped[dict[str, Any]]
    deal_state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    deal_attempts: Mapped[int] = mapped_column(Integer, default=0)
    amo_lead_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    amo_contact_id: Mapped[int | None] = mapped_column(BigInteger)
    note_added_at: Mapped[datetime | None]
    note_attempted_at: Mapped[datetime | None]
    stage_key: Mapped[str | None] = mapped_column(String(64), index=True)
    avito_status: Mapped[str | None] = mapped_column(String(64))
    # Who the routing made responsible (None: no [routing], the token's user owns the deal).
    responsible_user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # The device's IMEI, normalised (`domain/repeat_seller.py`): repeat sellers are found by it.
    imei: Mapped[str | None] = mapped_column(String(16), index=True)
    # The earlier deal this request repeats, decided when its deal is first sent (and kept for
    # its retries): the tag on the deal and the line of its note.
    repeat_amo_lead_id: Mapped[int | None] = mapped_column(BigInteger)
    repeat_requested_at: Mapped[datetime | None]
    repeat_match: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
