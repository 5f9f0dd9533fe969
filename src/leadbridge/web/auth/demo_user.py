"""The demo's dashboard user: made fresh with each demo database, credentials printed."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from leadbridge.security.passwords import hash_password_off_loop
from leadbridge.security.roles import ADMIN
from leadbridge.store import users
from leadbridge.store.database import Database

DEMO_USER = "demo"


async def create_demo_user(db: Database) -> str:
    """Add `demo` (admin) with a random password; returns the line that tells it."""
    password = secrets.token_urlsafe(9)
    password_hash = await hash_password_off_loop(password)
    async with db.transaction() as session:
        await users.add_user(
            session,
            name=DEMO_USER,
            role=ADMIN,
            password_hash=password_hash,
            now=datetime.now(UTC),
        )
    return f"Вход в дашборд: {DEMO_USER} / {password}"
