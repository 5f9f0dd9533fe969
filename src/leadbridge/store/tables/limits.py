"""Relay: the shared rate limiter's state (0004)."""

from __future__ import annotations

from sqlalchemy import Double, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base


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
