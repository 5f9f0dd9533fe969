"""Server-side dashboard sessions over real HTTP, on both databases: a session is a row, and
logout, timeouts, a new password and removing the user end it for every copy of the cookie."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from tests.dashboard_login import login
from tests.web_security_site import PASSWORD, Site, another_process, served_site, session_token

from leadbridge.config import SecuritySettings
from leadbridge.security.passwords import hash_password
from leadbridge.store import users
from leadbridge.store.tables import WebSession
from leadbridge.web.auth.sessions import COOKIE

pytestmark = pytest.mark.anyio
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    security = SecuritySettings(
        session_idle_s=int(IDLE.total_seconds()), session_max_age_s=int(ABSOLUTE.total_seconds())
    )
    async with served_site(database_url, security) as served:
        yield served


async def _age(site: Site, *, idle: timedelta, since_login: timedelta) -> None:
    """Move every session back in time, as if it had been unused and logged in that long ago."""
    now = datetime.now(UTC)
    async with site.db.transaction() as session:
        await session.execute(
            update(WebSession).values(last_seen_at=now - idle, created_at=now - since_login)
        )


async def _last_seen(site: Site) -> datetime:
    async with site.db.transaction() as session:
        seen = await session.scalar(select(WebSession.last_seen_at))
    assert isinstance(seen, datetime)
    return seen


async def test_a_cookie_copied_before_logout_opens_nothing_after_it(site: Site) -> None:
    async with site.client() as http, site.client() as thief:
        csrf = await login(http, "olga", PASSWORD)
        thief.cookies.set(COOKIE, http.cookies[COOKIE])
        assert (await thief.get("/leads")).status_code == 200

        assert (await http.post("/logout", data={"csrf_token": csrf})).status_code == 303

        copied = await thief.get("/leads")
    assert copied.status_code == 303
    assert copied.headers["location"].startswith("/login")


async def test_logout_in_one_process_ends_the_session_in_another(site: Site) -> None:
    async with site.client() as http:
        csrf = await login(http, "olga", PASSWORD)
        cookie = http.cookies[COOKIE]
        async with (
            another_process(site.settings, site.db) as other_url,
            site.client() as elsewhere,
        ):
            elsewhere.cookies.set(COOKIE, cookie)
            assert (await elsewhere.get(f"{other_url}/leads")).status_code == 200
            await http.post("/logout", data={"csrf_token": csrf})
            assert (await elsewhere.get(f"{other_url}/leads")).status_code == 303


async def test_an_idle_session_ends(site: Site) -> None:
    async with site.client() as http:
        await login(http, "olga", PASSWORD)
        await _age(site, idle=IDLE - timedelta(minutes=1), since_login=timedelta(hours=1))
        assert (await http.get("/leads")).status_code == 200  # in use: it lives on

        await _age(site, idle=IDLE + timedelta(seconds=1), since_login=timedelta(hours=1))
        assert (await http.get("/leads")).status_code == 303
    async with site.db.transaction() as session:
        assert (await session.scalars(select(WebSession))).all() == []


async def test_a_session_ends_at_its_absolute_timeout_however_busy(site: Site) -> None:
    async with site.client() as http:
        await login(http, "olga", PASSWORD)
        await _age(site, idle=timedelta(0), since_login=ABSOLUTE - timedelta(minutes=1))
        assert (await http.get("/leads")).status_code == 200

        await _age(site, idle=timedelta(0), since_login=ABSOLUTE + timedelta(seconds=1))
        assert (await http.get("/leads")).status_code == 303


async def test_use_moves_the_idle_deadline(site: Site) -> None:
    async with site.client() as http:
        await login(http, "olga", PASSWORD)
        await _age(site, idle=timedelta(minutes=10), since_login=timedelta(minutes=10))
        before = await _last_seen(site)
        assert (await http.get("/leads")).status_code == 200
    assert await _last_seen(site) > before + timedelta(minutes=9)


async def test_a_new_password_ends_every_session_of_the_user(site: Site) -> None:
    async with site.client() as laptop, site.client() as phone:
        await login(laptop, "olga", PASSWORD)
        await login(phone, "olga", PASSWORD)
        async with site.db.transaction() as session:
            assert await users.set_password(session, "olga", hash_password("a-new-password"))
        assert (await laptop.get("/leads")).status_code == 303
        assert (await phone.get("/leads")).status_code == 303


async def test_removing_the_user_ends_her_sessions(site: Site) -> None:
    async with site.client() as http:
        await login(http, "olga", PASSWORD)
        async with site.db.transaction() as session:
            assert await users.remove_user(session, "olga")
        assert (await http.get("/leads")).status_code == 303
    async with site.db.transaction() as session:
        assert (await session.scalars(select(WebSession))).all() == []


async def test_the_database_keeps_only_a_hash_of_the_session_token(site: Site) -> None:
    async with site.client() as http:
        await login(http, "olga", PASSWORD)
        token = session_token(http)
    async with site.db.transaction() as session:
        stored = (await session.scalars(select(WebSession.token_hash))).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
