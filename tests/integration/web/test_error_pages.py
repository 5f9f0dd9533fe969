"""A browser that asks for a dashboard page that fails gets a Russian page with a way back; the
webhooks, health checks and clients that do not ask for HTML keep their JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from tests.dashboard_login import add_user, login

from leadbridge.config import Settings, WebSettings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@dataclass
class Site:
    url: str
    db: Database


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    upgrade(database_url)
    settings = Settings(database_url=database_url, web=WebSettings(webhook_token="t"))  # type: ignore[arg-type]
    db = Database(database_url)
    await add_user(db, "olga", "operator", password="olga-password")
    async with serve(
        create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
    ) as url:
        yield Site(url, db)
    await db.dispose()


async def test_a_missing_lead_is_a_russian_page_with_a_way_back(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        await login(http, "olga", "olga-password")
        page = await http.get("/leads/999999", headers=BROWSER)
        as_script = await http.get("/leads/999999")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Такой заявки нет." in page.text
    assert '<a href="/leads">← Заявки</a>' in page.text
    assert '<a href="/">На главную</a>' in page.text
    assert "detail" not in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]  # still hardened
    assert as_script.status_code == 404
    assert as_script.json() == {"detail": "no such lead"}


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/leads/not-a-number", 422, "Неверный адрес или данные формы"),
        ("/no-such-page", 404, "Такой страницы нет."),
        ("/settlements", 403, "Этот раздел не для вашей роли."),
        ("/reconciliation/999999", 404, "Такой сверки нет."),
    ],
)
async def test_every_refusal_of_a_page_reads_in_russian(
    site: Site, path: str, status: int, words: str
) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        await login(http, "olga", "olga-password")
        page = await http.get(path, headers=BROWSER)
    assert page.status_code == status
    assert words in page.text
    assert '<html lang="ru">' in page.text


async def test_a_refused_form_post_reads_in_russian(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        csrf = await login(http, "olga", "olga-password")
        page = await http.post(
            "/outbox/999999/retry",
            data={"note": "x"},
            headers={**BROWSER, "X-CSRF-Token": csrf},
        )
    assert page.status_code == 404
    assert "Такого статуса в очереди в Авито нет." in page.text
    assert '<a href="/outbox">← Очередь в Авито</a>' in page.text


async def test_machines_keep_their_json_even_when_they_accept_html(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        webhook = await http.post("/webhooks/avito/wrong-token", json={}, headers=BROWSER)
        health = await http.get("/healthz", headers=BROWSER)
        await login(http, "olga", "olga-password")
        swap = await http.get("/leads/999999", headers={**BROWSER, "HX-Request": "true"})
    assert webhook.status_code == 404
    assert webhook.json() == {"detail": "not found"}
    assert health.headers["content-type"].startswith("application/json")
    # htmx never swaps an error in (base.html): its request keeps the answer a script reads.
    assert (swap.status_code, swap.json()) == (404, {"detail": "no such lead"})
