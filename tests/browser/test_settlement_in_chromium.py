"""The settlements page in a real browser: finance logs in, opens the week, downloads its XLSX."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import expect

from leadbridge.domain.periods import Week
from tests.browser.dashboard import ServedDashboard, chromium, chromium_missing, log_in
from tests.browser.dashboard import served_dashboard as serve_dashboard

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(chromium_missing(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture
async def dashboard(database_url: str) -> AsyncIterator[ServedDashboard]:
    async with serve_dashboard(database_url) as served:
        yield served


async def test_finance_downloads_the_weeks_xlsx(dashboard: ServedDashboard, tmp_path: Path) -> None:
    week = Week.of(datetime.now(UTC))
    async with chromium() as browser:
        page = await browser.new_page(locale="ru-RU", accept_downloads=True)
        await log_in(page, dashboard.url, "/settlements", user="fedor")
        await expect(page.locator("header nav")).to_contain_text("Взаиморасчёты")
        await page.click(f"text={week.name}")
        await expect(page.locator("#line-count")).to_have_text("3")
        # A line's key (Avito's line id, as in the XLSX) is the title of its Russian name.
        first_cells = page.locator("#lines tr td:first-child")
        shown = await first_cells.evaluate_all("cells => cells.map(cell => cell.title)")
        async with page.expect_download() as download_info:
            await page.click("#xlsx")
        download = await download_info.value
        assert download.suggested_filename == f"settlement-{week.name}.xlsx"
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
    rows = list(load_workbook(saved)["Строки"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows[:-1]] == shown
    assert rows[-1][0] == "Итого"
