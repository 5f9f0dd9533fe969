"""«Скорость реакции» and the first-contact histogram over real HTTP, on both databases, over the
deals of the store test: Москва is a team, Казань is covered by none (the fallback user)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from tests.dashboard_login import add_user, login
from tests.dashboard_site import cells
from tests.integration.store.test_first_contact_queries import load

from leadbridge.config import Settings, WebSettings
from leadbridge.config.routing import RoutingSettings, TeamSettings
from leadbridge.store.database import Database
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
ALL_DAY = {"hours": "00:00-24:00", "sla_minutes": 15}
USERS = {"olga": "operator", "fedor": "finance", "ada": "admin"}


@dataclass
class Site:
    url: str
    db: Database


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    routing = RoutingSettings(
        teams=[TeamSettings(name="Москва", cities=["москва"], users=[11, 12], **ALL_DAY)],
        fallback_user_id=21,
        **ALL_DAY,
    )
    settings = Settings(
        database_url=database_url, web=WebSettings(webhook_token="t"), routing=routing
    )
    db = await load(database_url)
    try:
        for name, role in USERS.items():
            await add_user(db, name, role, password=f"{name}-password")
        app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
        async with serve(app) as url:
            yield Site(url, db)
    finally:
        await db.dispose()


async def _page(site: Site, name: str, **params: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=site.url) as http:
        await login(http, name, f"{name}-password")
        return await http.get("/first-contact", params=params)


async def test_every_role_sees_the_week_per_team_and_manager_in_russian(site: Site) -> None:
    for name in USERS:
        page = await _page(site, name, week="2026-W48")
        assert page.status_code == 200, name
        assert 'href="/first-contact" class="active">Скорость реакции</a>' in page.text

    assert "<h1>Скорость реакции</h1>" in page.text
    assert "Заявки, созданные на неделе 2026-W48" in page.text
    assert "«Связались с продавцом»" in page.text
    # week, team, manager, deals, called, p50, p90, breaches, still waiting
    assert cells(page.text, "by-manager") == [
        ["2026-W48", "Москва", "Менеджер 11", "1", "1", "12 мин", "12 мин", "0", "0"],
        ["2026-W48", "Москва", "Менеджер 12", "1", "1", "1 ч 20 мин", "1 ч 20 мин", "1", "0"],
        # closed within the SLA without a call: no breach; never called: a breach
        ["2026-W48", "Без команды", "Менеджер 21", "2", "0", "—", "—", "1", "0"],
        ["2026-W48", "Без команды", "Менеджер 22", "1", "1", "20 мин", "20 мин", "1", "0"],
    ]
    assert cells(page.text, "by-week") == [["2026-W48", "5", "3", "20 мин", "1 ч 20 мин", "3", "0"]]


async def test_a_week_without_deals_says_so_and_a_wrong_week_is_refused(site: Site) -> None:
    empty = await _page(site, "fedor", week="2020-W01")
    wrong = await _page(site, "fedor", week="last week")
    async with httpx.AsyncClient(base_url=site.url) as stranger:
        away = await stranger.get("/first-contact")

    assert cells(empty.text, "by-manager") == [["Нет данных"]]
    assert wrong.status_code == 400
    assert away.status_code == 303


async def test_the_histogram_has_every_contacted_deal_by_team(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        text = (await http.get("/metrics")).text

    def sample(suffix: str, team: str, le: str | None = None) -> float:
        wanted = {f'team="{team}"'} | ({f'le="{le}"'} if le else set())
        name = f"leadbridge_first_contact_seconds_{suffix}{{"
        for line in text.splitlines():
            labels, _, value = line.removeprefix(name).partition("} ")
            if line.startswith(name) and set(labels.split(",")) == wanted:
                return float(value)
        raise AssertionError(f"{name}{wanted} not in /metrics")

    assert "# TYPE leadbridge_first_contact_seconds histogram" in text
    # Москва, every week: 5, 12 and 80 minutes; no team (Казань): 20 minutes.
    assert sample("count", "Москва") == 3
    assert sample("sum", "Москва") == 300 + 720 + 4800
    assert sample("bucket", "Москва", "900.0") == 2
    assert sample("bucket", "Москва", "3600.0") == 2
    assert sample("bucket", "Москва", "7200.0") == 3
    assert sample("bucket", "Москва", "+Inf") == 3
    assert sample("bucket", "none", "900.0") == 0
    assert sample("bucket", "none", "1800.0") == 1
    assert sample("count", "none") == 1
