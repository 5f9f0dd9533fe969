"""Screenshots of each main page into docs/screenshots/: `python -m tests.browser.screenshots`.

A fresh SQLite database is seeded the way the page tests seed it, served on a loopback port and
opened in Debian's Chromium, logged in as an operator.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from tests.browser.dashboard import chromium, chromium_missing, log_in, served_dashboard

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
                    retrying = page.locator(f"#item-{served.seeded.retrying_item}")
                    async with page.expect_response(lambda answer: "/retry" in answer.url):
                        await retrying.get_by_role("button", name="Отправить сейчас").click()
                    await page.reload()
                target = out / f"{name}.png"
                await page.screenshot(path=target, full_page=True)
                taken.append(target)
            return taken


def main() -> None:
    if chromium_missing():
        sys.exit("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take(OUT)):
        print(path)


if __name__ == "__main__":
    main()
