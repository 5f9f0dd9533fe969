"""The login budget under concurrency, over real HTTP and on both databases: attempts are
counted before the password is checked, in the database every web process shares."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from tests.dashboard_login import csrf_of
from tests.web_security_site import PASSWORD, Site, another_process, served_site

from leadbridge.config import SecuritySettings

pytestmark = pytest.mark.anyio
PER_ADDRESS = 5
PER_USER = 2 * PER_ADDRESS  # two strangers use it up; her own attempt is then slowed
BURST = 50


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    security = SecuritySettings(
        login_attempts_per_minute=PER_ADDRESS, login_user_attempts_per_minute=PER_USER
    )
    async with served_site(database_url, security) as served:
        yield served


async def _form(http: httpx.AsyncClient, url: str = "") -> str:
    return csrf_of((await http.get(f"{url}/login")).text)


async def _try(http: httpx.AsyncClient, csrf: str, password: str, url: str = "") -> int:
    data = {"username": "olga", "password": password, "csrf_token": csrf}
    return (await http.post(f"{url}/login", data=data)).status_code


async def test_a_concurrent_burst_reaches_the_password_check_only_within_the_budget(
    site: Site,
) -> None:
    async with site.client() as http:
        csrf = await _form(http)
        answers = await asyncio.gather(*(_try(http, csrf, f"guess-{n:04}") for n in range(BURST)))
    # Every 401 is a password that was checked; the rest were refused before the check.
    assert Counter(answers) == {401: PER_ADDRESS, 429: BURST - PER_ADDRESS}


async def test_once_blocked_not_even_the_right_password_gets_in(site: Site) -> None:
    async with site.client() as http:
        csrf = await _form(http)
        for n in range(PER_ADDRESS):
            assert await _try(http, csrf, f"guess-{n:04}") == 401
        burst = [f"guess-{n:04}" for n in range(BURST - 1)] + [PASSWORD]
        answers = await asyncio.gather(*(_try(http, csrf, password) for password in burst))
        assert set(answers) == {429}
        assert (await http.get("/leads")).status_code == 303


async def test_processes_share_one_budget(site: Site) -> None:
    async with another_process(site.settings, site.db) as other, site.client() as http:
        here, there = await _form(http), await _form(http, other)
        answers = await asyncio.gather(
            *(_try(http, here, f"guess-{n:04}") for n in range(BURST // 2)),
            *(_try(http, there, f"guess-{n:04}", other) for n in range(BURST // 2)),
        )
    assert Counter(answers)[401] == PER_ADDRESS


async def test_a_stranger_cannot_lock_the_user_out_from_her_own_address(site: Site) -> None:
    async with site.client("127.0.0.2") as stranger, site.client("127.0.0.3") as accomplice:
        for http in (stranger, accomplice):
            csrf = await _form(http)
            answers = [await _try(http, csrf, f"guess-{n:04}") for n in range(PER_ADDRESS + 2)]
            assert answers == [401] * PER_ADDRESS + [429, 429]
    # The user name has now failed more often than PER_USER: slowed down, not locked.
    async with site.client("127.0.0.4") as olga:
        assert await _try(olga, await _form(olga), PASSWORD) == 303
        assert (await olga.get("/leads")).status_code == 200


async def test_right_passwords_do_not_use_up_the_budget(site: Site) -> None:
    async with site.client() as http:
        for _ in range(PER_ADDRESS + 2):
            assert await _try(http, await _form(http), PASSWORD) == 303
