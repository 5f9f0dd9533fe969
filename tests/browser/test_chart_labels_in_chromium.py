"""The charts' labels in Chromium: every <text> lies inside its drawing, on a phone and on a
laptop — a long device model is cut to fit, with its full name as a tooltip, and no value runs
off the right edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser

from leadbridge.store.database import Database
from tests.browser.dashboard import ServedDashboard, chromium, chromium_missing, log_in
from tests.browser.dashboard import served_dashboard as served_dashboard_of
from tests.integration.store.test_statistics_queries import _lead

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(chromium_missing(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
LONG_MODEL = "Samsung Galaxy Z Fold5 Ультра Максимальная Шикарная Edition 1 ТБ Фантомный чёрный"
# Per chart, the <text> elements whose drawn box leaves the viewBox, and by how much.
OUTSIDE = """
charts => charts.flatMap((svg, index) => {
  const view = svg.viewBox.baseVal;
  const frame = svg.getBoundingClientRect();
  return Array.from(svg.querySelectorAll("text")).flatMap(text => {
    const box = text.getBBox();
    const shown = text.getBoundingClientRect();
    const out = box.x < view.x - 0.5 || box.y < view.y - 0.5
      || box.x + box.width > view.x + view.width + 0.5
      || box.y + box.height > view.y + view.height + 0.5
      || shown.left < frame.left - 0.5 || shown.right > frame.right + 0.5;
    return out ? [{chart: index, text: text.textContent, x: box.x, right: box.x + box.width,
                   width: view.width}] : [];
  });
})
"""


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[ServedDashboard]:
    # One database is enough: the drawing does not depend on it.
    async with served_dashboard_of(f"sqlite:///{tmp_path / 'charts.db'}") as dashboard:
        await _long_model(dashboard.db)
        yield dashboard


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def _long_model(db: Database) -> None:
    async with db.transaction() as session:
        lead = _lead(900_001, "Москва", LONG_MODEL, datetime.now(UTC), None, None)
        session.add(lead)


@pytest.mark.parametrize("width", [390, 1280])
async def test_every_chart_label_lies_inside_its_drawing(
    served: ServedDashboard, browser: Browser, width: int
) -> None:
    page = await browser.new_page(locale="ru-RU", viewport={"width": width, "height": 844})
    await log_in(page, served.url, "/charts")
    charts = page.locator("svg.chart")

    assert await charts.count() == 5
    outside = await charts.evaluate_all(OUTSIDE)
    assert outside == []
    cut = page.locator("svg.chart text", has_text="Samsung Galaxy")
    assert await cut.count() == 1
    shown = await cut.evaluate("text => text.firstChild.textContent")
    assert shown.endswith("…")
    assert LONG_MODEL.startswith(shown.removesuffix("…"))
    assert await cut.locator("title").text_content() == LONG_MODEL
