"""Secrets at rest: a database left by a version that stored them in the clear is sealed when
the web app starts with a key, and nothing that worked before stops working."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from tests.dashboard_login import login
from tests.web_security_site import PASSWORD, another_process, served_site

from leadbridge.config import SecuritySettings
from leadbridge.security.crypto import PREFIX, TokenCipher, new_key
from leadbridge.store import sealed, tokens
from leadbridge.web.auth.sessions import COOKIE

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def plain_afterwards() -> Iterator[None]:
    sealed.use_keys("")
    yield
    sealed.use_keys("")  # keys are process-wide: leave none for other tests


async def test_plain_secrets_are_sealed_at_start_and_old_sessions_stay_valid(
    database_url: str,
) -> None:
    async with served_site(database_url, SecuritySettings()) as site:
        async with site.db.transaction() as session:
            await tokens.save_token(
                session,
                "amocrm",
                access_token="plain-access",
                refresh_token="plain-refresh",
                expires_at=datetime.now(UTC) + timedelta(days=1),
                now=datetime.now(UTC),
            )
        async with site.client() as http:
            await login(http, "olga", PASSWORD)  # the session key is made, in the clear
            cookie = http.cookies[COOKIE]
        async with site.db.transaction() as session:
            plain_secret = await session.scalar(text("SELECT value FROM app_secrets"))
        assert plain_secret is not None
        assert not plain_secret.startswith(PREFIX)

        key = new_key()
        sealed.use_keys(key)  # the next start has a key: from the file or the environment
        async with another_process(site.settings, site.db) as restarted:
            async with site.db.transaction() as session:
                secret = await session.scalar(text("SELECT value FROM app_secrets"))
                stored = (
                    await session.execute(
                        text("SELECT access_token, refresh_token FROM oauth_tokens")
                    )
                ).one()
            async with site.client() as http:
                http.cookies.set(COOKIE, cookie)
                assert (await http.get(f"{restarted}/leads")).status_code == 200

    assert secret is not None
    assert secret.startswith(PREFIX)
    assert TokenCipher([key]).open(secret) == plain_secret
    assert all(value.startswith(PREFIX) for value in stored)
    assert "plain-access" not in stored[0]
