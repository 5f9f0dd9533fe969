"""The overview's headline: «Всё в порядке» when no alert rule fires, else what is wrong and
since when, judged on the alert rules' own thresholds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.dashboard_login import add_user, login
from tests.integration.alerts.test_alert_engine import park_one_status

from leadbridge.config import Settings, WebSettings
from leadbridge.store.database import Database
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio


@pytest.fixture
async def site(db: Database, database_url: str) -> AsyncIterator[str]:
    settings = Settings(database_url=database_url, web=WebSettings(public_url=""))
    await add_user(db, "olga", "operator", password="olga-password")
    context = WebContext(settings=settings, db=db, wakeups=LocalWakeups())
    async with serve(create_app(context)) as url:
        yield url


async def headline(url: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        await login(http, "olga", "olga-password")
        page = (await http.get("/")).text
    start = page.index('id="headline"')
    return page[start : page.index("</div>", start)]


async def test_all_is_well_until_a_status_is_parked_too_long(db: Database, site: str) -> None:
    calm = await headline(site)
    assert "Всё в порядке" in calm
    assert 'class="headline good"' in page_classes(calm)

    await park_one_status(db, "head-1", datetime.now(UTC) - timedelta(minutes=5))
    assert "Всё в порядке" in await headline(site)  # parked, but not for 15 minutes yet

    await park_one_status(db, "head-2", datetime.now(UTC) - timedelta(minutes=30))
    wrong = await headline(site)
    assert "Требует внимания: 1" in wrong
    assert '<a href="/outbox">Статусы для Авито остановлены</a>' in wrong
    assert "2 статусов остановлено" in wrong


def page_classes(fragment: str) -> str:
    return fragment.split(">", 1)[0]
