"""Screenshots of each main page into docs/screenshots/: `python -m tests.browser.screenshots`.

A fresh SQLite database is seeded the way the page tests seed it, served on a loopback port and
opened in Debian's Chromium, logged in as an operator.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Browser

from leadbridge.domain.periods import Week
from leadbridge.store import reconciliation
from leadbridge.store.tables import ReconciliationItem
from tests.browser.dashboard import (
    ServedDashboard,
    chromium,
    chromium_missing,
    log_in,
    served_dashboard,
)

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def take(out: Path) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        async with served_dashboard(f"sqlite:///{tmp}/screens.db") as served, chromium() as browser:
            page = await browser.new_page(viewport={"width": 1280, "height": 860}, locale="ru-RU")
            await log_in(page, served.url)
            shots = {
                "overview": "/",
                "leads": "/leads?q=iphone",
                "lead": f"/leads/{served.seeded.parked_lead}",
                "outbox": "/outbox",
                "funnel": "/funnel",
            }
            taken = []
            for name, path in shots.items():
                await page.goto(served.url + path)
                if name == "outbox":  # one action, so that the audit log shows an entry
                    # An action opens first, says what it will do, and wants a note.
                    retrying = page.locator(f"#item-{served.seeded.retrying_item}")
                    await retrying.locator("summary", has_text="Отправить сейчас").click()
                    await retrying.locator("[data-action=retry] input").fill("снимок экрана")
                    async with page.expect_response(lambda answer: "/retry" in answer.url):
                        await retrying.locator("[data-action=retry] button").click()
                    await page.reload()
                target = out / f"{name}.png"
                await page.screenshot(path=target, full_page=True)
                taken.append(target)
            taken += await _admin_pages(browser, served, out)
            return taken


async def _admin_pages(browser: Browser, served: ServedDashboard, out: Path) -> list[Path]:
    """The pages an operator does not see all of, as an admin, with a reconciliation run."""
    run_id = await _reconciliation_run(served)
    week = Week.of(datetime.now(UTC)).name
    page = await browser.new_page(viewport={"width": 1280, "height": 860}, locale="ru-RU")
    await log_in(page, served.url, "/settlements", user="ada")
    shots = {
        "settlements": "/settlements",
        "settlement-week": f"/settlements/{week}",
        "reconciliation": "/reconciliation",
        "reconciliation-run": f"/reconciliation/{run_id}",
        "charts": "/charts",
    }
    taken = []
    for name, path in shots.items():
        await page.goto(served.url + path)
        target = out / f"{name}.png"
        await page.screenshot(path=target, full_page=True)
        taken.append(target)
    return taken


async def _reconciliation_run(served: ServedDashboard) -> int:
    """A finished run as the reconciler records it: the two requests without a deal."""
    now = datetime.now(UTC)
    async with served.db.transaction() as session:
        run_id = await reconciliation.start_run(session, fix=False, now=now)
        missing = zip(served.seeded.lead_ids[-2:], served.seeded.avito_ids[-2:], strict=True)
        await reconciliation.add_items(
            session,
            [
                ReconciliationItem(
                    run_id=run_id,
                    lead_id=lead_id,
                    avito_lead_id=avito_id,
                    kind="missing_in_crm",
                    detail="no deal in amoCRM",
                    action="person",
                )
                for lead_id, avito_id in missing
            ],
        )
        await reconciliation.finish_run(
            session, run_id, leads_checked=len(served.seeded.lead_ids), deals_listed=22,
            crm_requests=1, avito_reads=2, now=now,
        )  # fmt: skip
    return run_id


def main() -> None:
    if chromium_missing():
        sys.exit("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take(OUT)):
        print(path)


if __name__ == "__main__":
    main()
