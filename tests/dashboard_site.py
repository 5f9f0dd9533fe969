"""A served dashboard on a seeded database with one user of each role, for page tests."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from leadbridge.config import Settings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve
from tests.dashboard_data import Seeded, seed_dashboard
from tests.dashboard_login import add_user, login

# name → role; each one's password is "<name>-password".
USERS = {"olga": "operator", "fedor": "finance", "ada": "admin"}


@dataclass
class Site:
    url: str
    db: Database
    settings: Settings
    seeded: Seeded

    @contextlib.asynccontextmanager
    async def logged_in(self, name: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
        """A client with `name`'s session, and its CSRF token."""
        async with httpx.AsyncClient(base_url=self.url) as http:
            yield http, await login(http, name, f"{name}-password")


@contextlib.asynccontextmanager
async def served_site(settings: Settings) -> AsyncIterator[Site]:
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        seeded = await seed_dashboard(db, settings.funnel)
        for name, role in USERS.items():
            await add_user(db, name, role, password=f"{name}-password")
        context = WebContext(settings=settings, db=db, wakeups=LocalWakeups())
        async with serve(create_app(context)) as url:
            yield Site(url, db, settings, seeded)
    finally:
        await db.dispose()


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each data row's cells of the table with that id (header rows left out)."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert table, f"no table {table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    return [
        [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in found]
        for row in rows
        if (found := re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))
    ]
