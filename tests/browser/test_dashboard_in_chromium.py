"""The dashboard in a real browser: login, search, a lead's timeline, a replay with CSRF."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store import operator_actions
from leadbridge.store.tables import OutboxItem
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


@pytest.fixture
async def dashboard(database_url: str) -> AsyncIterator[ServedDashboard]:
    async with served_dashboard(database_url) as served:
        yield served


@pytest.fixture
async def page(dashboard: ServedDashboard) -> AsyncIterator[Page]:
    browser: Browser
    async with chromium() as browser:
        page = await browser.new_page(locale="ru-RU")
        await log_in(page, dashboard.url, "/leads")
        yield page


async def test_a_stranger_logs_in_and_lands_on_the_page_asked_for(
    dashboard: ServedDashboard, page: Page
) -> None:
    await expect(page.locator("header .who")).to_contain_text("olga")
    await expect(page.locator("#found-count")).to_have_text("Найдено: 24")


async def test_search_as_you_type_then_the_leads_timeline(
    dashboard: ServedDashboard, page: Page
) -> None:
    wanted = dashboard.seeded.avito_ids[7]  # its deal went to "contacted"
    await page.fill("input[name=q]", wanted)
    await expect(page.locator("#found-count")).to_have_text("Найдено: 1")  # htmx swapped it in
    assert wanted in page.url  # the search is in the address, so it can be shared
    await page.click(f"text={wanted}")
    rows = page.locator("#timeline tr[class^=entry-]")
    await expect(rows).to_have_count(4)
    kinds = await page.locator("#timeline .kind").all_inner_texts()
    assert kinds == ["Авито → заявка", "amoCRM: этап", "→ Авито: отправка", "→ Авито: отправка"]
    await expect(rows.nth(1)).to_contain_text("Связались с продавцом")


async def test_replay_of_a_parked_status_is_audited_and_queued_again(
    dashboard: ServedDashboard, page: Page
) -> None:
    item_id = dashboard.seeded.parked_item
    await page.goto(dashboard.url + "/outbox")
    row = page.locator(f"#item-{item_id}")
    await expect(row.locator(".state")).to_have_text("остановлено, нужен человек")
    await row.locator("summary", has_text="Отправить заново").click()  # opens; sends nothing
    replay = row.locator("[data-action=replay]")
    note = replay.get_by_label("Комментарий для журнала (обязательно)")
    await note.fill("Авито починило переход")
    await row.get_by_role("button", name="Подтвердить: отправить заново").click()
    await expect(row.locator(".state")).to_have_text("в очереди")  # htmx swapped the new row
    await page.reload()
    await expect(page.locator("#audit tr").nth(1)).to_contain_text("olga")
    async with dashboard.db.transaction() as session:
        item = await session.get(OutboxItem, item_id)
        (action,) = await operator_actions.history(session, item_id)
    assert item is not None
    assert (item.state, item.attempts) == (OutboxState.PENDING, 0)
    assert item.idempotency_key.endswith(":replay-1")
    assert (action.actor, action.action, action.state_after) == ("olga", "replay", "pending")
    assert action.note == "Авито починило переход"  # typed in the row, kept in the audit
