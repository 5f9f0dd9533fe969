"""«Скорость реакции» in a real browser: reached from the menu, a week picked in its form, the
waits per week and per team and manager, breaches marked; over the deals of the store test
(Москва is a team of managers 11 and 12, Казань is covered by none: the fallback user 21)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, Page, expect

from leadbridge.config import Settings, WebSettings
from leadbridge.config.routing import RoutingSettings, TeamSettings
from leadbridge.store.database import Database
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve
from tests.browser.dashboard import PASSWORD, USER, chromium, chromium_missing, log_in
from tests.dashboard_login import add_user
from tests.integration.store.test_first_contact_queries import load

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(chromium_missing(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
ALL_DAY = {"hours": "00:00-24:00", "sla_minutes": 15}


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
        await add_user(db, USER, "operator", password=PASSWORD)
        app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
        async with serve(app) as url:
            yield Site(url, db)
    finally:
        await db.dispose()


@pytest.fixture
async def page(site: Site) -> AsyncIterator[Page]:
    browser: Browser
    async with chromium() as browser:
        page = await browser.new_page(locale="ru-RU")
        await log_in(page, site.url, "/leads")
        yield page


async def rows(page: Page, table: str) -> list[list[str]]:
    """The table's data rows as the browser renders them (its header row left out)."""
    found = []
    for row in (await page.locator(f"#{table} tr").all())[1:]:
        found.append([cell.strip() for cell in await row.locator("td").all_inner_texts()])
    return found


async def test_a_week_picked_in_the_form_shows_its_waits_per_team_and_manager(
    site: Site, page: Page
) -> None:
    await page.get_by_role("link", name="Скорость реакции").click()
    await expect(page.locator("h1")).to_have_text("Скорость реакции")

    await page.get_by_label("Неделя создания заявки (по Москве)").fill("2026-W48")
    await page.get_by_role("button", name="Показать").click()

    await expect(page.locator("#scope")).to_contain_text("Заявки, созданные на неделе 2026-W48")
    assert page.url.endswith("/first-contact?week=2026-W48")  # the week is in the address
    assert await rows(page, "by-week") == [["2026-W48", "5", "3", "20 мин", "1 ч 20 мин", "3", "0"]]
    assert await rows(page, "by-manager") == [
        ["2026-W48", "Москва", "Менеджер 11", "1", "1", "12 мин", "12 мин", "0", "0"],
        ["2026-W48", "Москва", "Менеджер 12", "1", "1", "1 ч 20 мин", "1 ч 20 мин", "1", "0"],
        ["2026-W48", "Без команды", "Менеджер 21", "2", "0", "—", "—", "1", "0"],
        ["2026-W48", "Без команды", "Менеджер 22", "1", "1", "20 мин", "20 мин", "1", "0"],
    ]
    # a breach stands out; a manager without one does not
    breaches = page.locator("#by-manager tr td:nth-child(8)")
    await expect(breaches.nth(1)).to_have_class("num warn")
    await expect(breaches.nth(0)).to_have_class("num")


async def test_a_week_without_requests_says_so_and_a_bad_week_is_refused(
    site: Site, page: Page
) -> None:
    await page.goto(site.url + "/first-contact?week=2026-W10")
    await expect(page.locator("#by-week")).to_contain_text("Нет данных")
    await expect(page.locator("#by-manager")).to_contain_text("Нет данных")

    answer = await page.goto(site.url + "/first-contact?week=W48-2026")
    assert answer is not None
    assert answer.status == 400
