"""The dashboard's people and secrets: users and generated secrets (0007), server-side sessions
and the login budget (0011)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadbridge.store.tables.base import Base


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
