"""The Content-Security-Policy in a real browser: every page renders with no violation (styles
from files, htmx without inline styles or eval), and a `javascript:` URL from a partner neither
becomes a link nor runs when planted as one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store.tables import Lead
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.wakeups import LocalWakeups
from tests.browser.dashboard import (
    ServedDashboard,
    chromium,
    chromium_missing,
    log_in,
    served_dashboard,
)

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(chromium_missing(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
PAGES = ["/", "/leads", "/outbox", "/funnel", "/reconciliation", "/settlements", "/charts"]


@pytest.fixture
async def dashboard(database_url: str) -> AsyncIterator[ServedDashboard]:
    async with served_dashboard(database_url) as served:
        yield served


@pytest.fixture
async def console() -> list[str]:
    return []


@pytest.fixture
async def page(dashboard: ServedDashboard, console: list[str]) -> AsyncIterator[Page]:
    async with chromium() as browser:
        page = await browser.new_page(locale="ru-RU")

        def heard(message: ConsoleMessage) -> None:
            console.append(message.text)

        page.on("console", heard)
        await log_in(page, dashboard.url, "/", user="ada")
        yield page


def _violations(console: list[str]) -> list[str]:
    return [text for text in console if "Content Security Policy" in text]


async def test_every_page_renders_with_no_violation_and_its_styles(
    dashboard: ServedDashboard, page: Page, console: list[str]
) -> None:
    lead = dashboard.seeded.lead_ids[0]
    for path in [*PAGES, f"/leads/{lead}", "/settlements/2026-W48"]:
        await page.goto(dashboard.url + path)
        await page.wait_for_load_state("load")
    assert _violations(console) == []
    # The style sheet applied, and htmx runs with the settings the policy needs.
    header = await page.eval_on_selector("header", "e => getComputedStyle(e).backgroundColor")
    assert header == "rgb(29, 35, 48)"
    config = await page.evaluate("[htmx.config.includeIndicatorStyles, htmx.config.allowEval]")
    assert config == [False, False]


async def test_the_login_page_has_its_style_sheet(dashboard: ServedDashboard) -> None:
    async with chromium() as browser:
        stranger = await browser.new_page()
        heard: list[str] = []
        stranger.on("console", lambda message: heard.append(message.text))
        await stranger.goto(dashboard.url + "/login")
        width = await stranger.eval_on_selector("input#username", "e => getComputedStyle(e).width")
    assert _violations(heard) == []
    assert float(width.removesuffix("px")) > 200  # `width: 100%` of the form, not the default


async def test_a_javascript_item_url_is_no_link_and_cannot_run_when_planted(
    dashboard: ServedDashboard, page: Page, console: list[str]
) -> None:
    lead = LeadFactory(seed=5).make()
    lead.update(id="b-javascript", itemUrl="javascript:document.title='pwned'")
    await accept_lead(dashboard.db, lead, channel="webhook", wakeups=LocalWakeups())
    async with dashboard.db.transaction() as session:
        lead_id = await session.scalar(select(Lead.id).where(Lead.avito_lead_id == "b-javascript"))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))

    await page.goto(f"{dashboard.url}/leads/{lead_id}")
    await expect(page.locator("#item-url")).to_have_text("javascript:document.title='pwned'")
    assert await page.locator("a[href^='javascript:' i]").count() == 0

    # Were such a link on the page after all, the policy would still not run it.
    await page.evaluate(
        """() => {
            const a = document.createElement("a");
            a.id = "planted"; a.href = "javascript:document.title='pwned'"; a.textContent = "x";
            document.body.append(a);
        }"""
    )
    await page.click("#planted")
    await page.wait_for_timeout(300)
    assert await page.title() != "pwned"
    assert dialogs == []
    assert any("javascript:" in text or "script-src" in text for text in _violations(console))
