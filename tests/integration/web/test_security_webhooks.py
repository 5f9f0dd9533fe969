"""Webhooks and bodies over real HTTP: no session or CSRF needed for partners, but the path
token is; no body may exceed the limit, declared or not."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from leadbridge.config import Settings, WebSettings
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import InboxEvent, Lead
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
TOKEN = "webhook-path-token"
LIMIT = 2048


@dataclass
class Site:
    http: httpx.AsyncClient
    db: Database

    async def stored(self) -> int:
        async with self.db.transaction() as session:
            leads = await session.scalar(select(func.count()).select_from(Lead))
            events = await session.scalar(select(func.count()).select_from(InboxEvent))
        return int(leads or 0) + int(events or 0)


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    upgrade(database_url)
    settings = Settings(
        database_url=database_url,
        web=WebSettings(webhook_token=TOKEN, max_body_bytes=LIMIT),  # type: ignore[arg-type]
    )
    db = Database(database_url)
    app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        yield Site(http, db)
    await db.dispose()


async def _chunks(size: int) -> AsyncIterator[bytes]:
    """A body without Content-Length (chunked): only counting what arrives can refuse it."""
    for _ in range(size // 512):
        yield b" " * 512


@pytest.mark.parametrize(
    "path", [f"/webhooks/avito/{TOKEN}", f"/webhooks/amocrm/{TOKEN}", "/login", "/logout"]
)
async def test_an_oversized_chunked_body_is_refused_everywhere(site: Site, path: str) -> None:
    answer = await site.http.post(path, content=_chunks(LIMIT * 4))
    assert answer.status_code == 413
    assert await site.stored() == 0


async def test_a_partner_needs_no_session_and_no_csrf_token(site: Site) -> None:
    envelope = {"id": "e", "payload": {"type": "lead.created", "lead": LeadFactory(seed=5).make()}}
    answer = await site.http.post(f"/webhooks/avito/{TOKEN}", content=json.dumps(envelope))
    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers
    assert await site.stored() == 2  # the lead and its raw event


@pytest.mark.parametrize(
    "token", ["", "webhook-path-toke", "webhook-path-token2", "WEBHOOK-PATH-TOKEN"]
)
async def test_a_wrong_path_token_is_a_404_and_stores_nothing(site: Site, token: str) -> None:
    envelope = {"id": "e", "payload": {"type": "lead.created", "lead": LeadFactory(seed=6).make()}}
    for source in ("avito", "amocrm"):
        answer = await site.http.post(f"/webhooks/{source}/{token}", content=json.dumps(envelope))
        assert answer.status_code in (404, 405)
    assert await site.stored() == 0
