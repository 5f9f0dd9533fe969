"""A served dashboard over a fresh database, for the security tests: users, clients that log in
from a chosen loopback address, and the raw rows behind sessions and the login budget."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from leadbridge.config import SecuritySettings, Settings, WebSettings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.auth.sessions import COOKIE
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve
from tests.dashboard_login import add_user

PASSWORD = "olga-password"


@dataclass
class Site:
    url: str
    db: Database
    settings: Settings

    def client(self, address: str = "127.0.0.1") -> httpx.AsyncClient:
        """A browser at `address`: any 127.x.y.z reaches the server as a distinct client."""
        transport = httpx.AsyncHTTPTransport(local_address=address)
        # Bursts of logins queue for the database and the password pool: on a loaded machine
        # (the suite runs on several workers) the last answer can take longer than httpx's 5 s.
        return httpx.AsyncClient(base_url=self.url, transport=transport, timeout=60)


@contextlib.asynccontextmanager
async def served_site(database_url: str, security: SecuritySettings) -> AsyncIterator[Site]:
    upgrade(database_url)
    settings = Settings(
        database_url=database_url,
        web=WebSettings(webhook_token="hook-token"),
        security=security,
    )
    db = Database(database_url)
    await add_user(db, "olga", "operator", password=PASSWORD)
    try:
        async with another_process(settings, db) as url:
            yield Site(url, db, settings)
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def another_process(settings: Settings, db: Database) -> AsyncIterator[str]:
    """One more web app on the same database, as another `leadbridge web` would be."""
    app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
    async with serve(app) as url:
        yield url


def session_token(http: httpx.AsyncClient) -> str:
    """The session token inside the signed cookie (the payload is base64 JSON before the dot)."""
    payload = http.cookies[COOKIE].split(".")[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    token = data["sid"]
    assert isinstance(token, str)
    return token
