"""OAuth tokens are encrypted in the database; rotation and plain rows are handled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from leadbridge.security.crypto import PREFIX, new_key
from leadbridge.store import sealed, tokens
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.fixture(autouse=True)
def plain_afterwards() -> Iterator[None]:
    yield
    sealed.use_keys("")  # keys are process-wide: leave none for other tests


async def _save(db: Database, access: str, refresh: str | None) -> None:
    async with db.transaction() as session:
        await tokens.save_token(
            session,
            "amocrm",
            access_token=access,
            refresh_token=refresh,
            expires_at=NOW + timedelta(days=1),
            now=NOW,
        )


async def _stored(db: Database) -> tuple[str, str | None]:
    async with db.transaction() as session:
        row = (
            await session.execute(text("SELECT access_token, refresh_token FROM oauth_tokens"))
        ).one()
    return row[0], row[1]


async def _read(db: Database) -> tuple[str, str | None]:
    async with db.transaction() as session:
        row = await tokens.token(session, "amocrm")
        assert row is not None
        return row.access_token, row.refresh_token


async def test_tokens_are_stored_encrypted_and_read_plain(database_url: str) -> None:
    upgrade(database_url)
    db = Database(database_url)
    sealed.use_keys(new_key())
    try:
        await _save(db, "access-abc", "refresh-xyz")
        access, refresh = await _stored(db)
        assert refresh is not None
        assert access.startswith(PREFIX)
        assert refresh.startswith(PREFIX)
        assert "access-abc" not in access
        assert "refresh-xyz" not in refresh
        assert await _read(db) == ("access-abc", "refresh-xyz")
    finally:
        await db.dispose()


async def test_plain_rows_and_rows_under_an_old_key_are_resealed(database_url: str) -> None:
    upgrade(database_url)
    db = Database(database_url)
    old, new = new_key(), new_key()
    try:
        await _save(db, "written-before-encryption", "r")  # no keys yet: plain, as before
        sealed.use_keys(old)
        async with db.transaction() as session:
            assert await tokens.reseal_tokens(session) == 1
        assert (await _stored(db))[0].startswith(PREFIX)

        sealed.use_keys(f"{new},{old}")  # rotation: new first, old still opens
        assert await _read(db) == ("written-before-encryption", "r")
        async with db.transaction() as session:
            assert await tokens.reseal_tokens(session) == 1
            assert await tokens.reseal_tokens(session) == 0

        sealed.use_keys(new)  # the old key dropped: everything still opens
        assert await _read(db) == ("written-before-encryption", "r")
    finally:
        await db.dispose()
