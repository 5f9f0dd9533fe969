"""A served dashboard over a seeded database, and Debian's Chromium to look at it.

Shared by the browser tests and the screenshot script (`python -m tests.browser.screenshots`).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

from leadbridge.config import Settings, WebSettings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve
from tests.dashboard_data import Seeded, seed_dashboard
from tests.dashboard_login import add_user

CHROMIUM = Path("/usr/bin/chromium")  # the distribution's browser: nothing is downloaded
USER, PASSWORD = "olga", "olga-password"
# More people, one per role, for the pages an operator may not open; password "<name>-password".
OTHERS = {"fedor": "finance", "ada": "admin"}


@dataclass
class ServedDashboard:
    url: str
    db: Database
    seeded: Seeded


def chromium_path() -> Path | None:
    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    return Path(found) if found else None


def chromium_missing() -> bool:
    return chromium_path() is None


@contextlib.asynccontextmanager
async def served_dashboard(database_url: str) -> AsyncIterator[ServedDashboard]:
    upgrade(database_url)
    settings = Settings(database_url=database_url, web=WebSettings(webhook_token="t"))  # type: ignore[arg-type]
    db = Database(database_url)
    try:
        seeded = await seed_dashboard(db, settings.funnel)
        await add_user(db, USER, "operator", password=PASSWORD)
        for name, role in OTHERS.items():
            await add_user(db, name, role, password=f"{name}-password")
        app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
        async with serve(app) as url:
            yield ServedDashboard(url, db, seeded)
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    executable = chromium_path() or CHROMIUM
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            await browser.close()


async def log_in(page: Page, base_url: str, path: str = "/", user: str = USER) -> None:
    """Open `path`, get sent to the login form, fill it in, and land back on `path`."""
    await page.goto(base_url + path)
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", PASSWORD if user == USER else f"{user}-password")
    await page.click("button[type=submit]")
    await page.wait_for_url(base_url + path)
