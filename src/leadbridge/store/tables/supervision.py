"""Supervision: what each process's loops last did (0010)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base


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
