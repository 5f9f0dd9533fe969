"""Headers on every answer over real HTTP: no-store for pages with personal data, the hardening
headers and the request id also on a 500, and X-Forwarded-For believed only from a configured
proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from tests.dashboard_site import Site, served_site

from leadbridge.config import Settings, WebSettings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
SPOOFED = "203.0.113.7"


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    async with served_site(Settings(database_url=database_url)) as served:
        yield served


async def test_no_page_with_personal_data_may_be_kept_by_a_cache(site: Site) -> None:
    lead = site.seeded.lead_ids[0]
    async with site.logged_in("ada") as (http, _):
        answers = {
            path: await http.get(path)
            for path in (
                "/",
                "/leads",
                f"/leads/{lead}",
                "/outbox",
                "/charts",
                "/settlements",
                "/settlements/2026-W48",
                "/settlements/2026-W48/export.csv",
                "/reconciliation",
                "/login",
            )
        }
        static = await http.get("/static/htmx.min.js")
    for path, answer in answers.items():
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store", path
    assert static.headers["Cache-Control"] == "max-age=86400"  # nothing personal: may be kept


def _failing_app(settings: Settings, db: Database) -> FastAPI:
    app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))

    async def fails() -> None:
        raise RuntimeError("секрет в тексте ошибки")

    async def client_address(request: Request) -> dict[str, str | None]:
        return {"host": request.client.host if request.client else None}

    # Routes added after create_app: the real middleware stack still wraps them.
    app.add_api_route("/probe/fails", fails)
    app.add_api_route("/probe/client", client_address)
    return app


@pytest.fixture
async def probed(database_url: str) -> AsyncIterator[tuple[Settings, Database]]:
    upgrade(database_url)
    db = Database(database_url)
    try:
        yield Settings(database_url=database_url), db
    finally:
        await db.dispose()


async def test_an_unhandled_error_answers_500_with_every_header_and_no_details(
    probed: tuple[Settings, Database],
) -> None:
    settings, db = probed
    async with (
        serve(_failing_app(settings, db)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        answer = await http.get("/probe/fails")
        given = await http.get("/probe/fails", headers={"X-Request-ID": "case-4711-abc"})
    assert answer.status_code == 500
    request_id = answer.headers["X-Request-ID"]
    assert len(request_id) == 32
    assert request_id in answer.text  # a person can quote it to whoever reads the logs
    assert "секрет" not in answer.text
    assert "Traceback" not in answer.text
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"
    assert given.status_code == 500
    assert given.headers["X-Request-ID"] == "case-4711-abc"


async def _seen_address(settings: Settings, db: Database) -> str:
    async with (
        serve(_failing_app(settings, db)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        answer = await http.get("/probe/client", headers={"X-Forwarded-For": SPOOFED})
    assert answer.status_code == 200
    host: str = answer.json()["host"]
    return host


async def test_a_forwarded_address_from_loopback_is_not_believed_by_default(
    probed: tuple[Settings, Database],
) -> None:
    """A local process (or a proxy nobody configured) cannot choose the address that login
    attempts are counted by."""
    settings, db = probed
    assert await _seen_address(settings, db) == "127.0.0.1"


async def test_a_forwarded_address_is_believed_only_from_a_configured_proxy(
    probed: tuple[Settings, Database],
) -> None:
    settings, db = probed
    web = settings.web.model_dump()
    elsewhere = settings.model_copy(
        update={"web": WebSettings(**{**web, "trusted_proxies": ["10.0.0.0/8"]})}
    )
    here = settings.model_copy(
        update={"web": WebSettings(**{**web, "trusted_proxies": ["127.0.0.1"]})}
    )
    assert await _seen_address(elsewhere, db) == "127.0.0.1"
    assert await _seen_address(here, db) == SPOOFED
