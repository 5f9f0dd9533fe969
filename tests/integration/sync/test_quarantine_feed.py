"""The feed moves past a request it cannot interpret (Avito's simulator over real HTTP, a real
database). As it was seen: a lead with a `buyoutPrice` of 10^30 stopped the feed's cursor at
it, and no later request was pulled. Now it is quarantined with its reason, and the requests
behind it become leads."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from leadbridge.avito.client import AvitoClient
from leadbridge.config import AvitoSettings
from leadbridge.sandbox.avito import AvitoSandbox, AvitoSandboxConfig, create_avito_app
from leadbridge.sandbox.avito.state import LeadRecord
from leadbridge.store import cursors, inbox
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import Lead
from leadbridge.sync.intake import FEED_CURSOR, pull_feed_once
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
CONFIG = AvitoSandboxConfig(method_rps={"token": 5, "leads_get": 50, "status_apply": 5})


@contextlib.asynccontextmanager
async def _client(
    url: str, config: AvitoSandboxConfig, **settings: Any
) -> AsyncIterator[AvitoClient]:
    avito = AvitoClient(
        AvitoSettings(
            base_url=url,
            client_id=config.client_id,
            client_secret=config.client_secret,  # type: ignore[arg-type]
            leads_get_rps=50,
            **settings,
        )
    )
    try:
        yield avito
    finally:
        await avito.aclose()


@pytest.fixture
def feed(database_url: str) -> tuple[FastAPI, AvitoSandbox, Database]:
    """Avito's simulator (its app and state) and a migrated database."""
    upgrade(database_url)
    app = create_avito_app(CONFIG)
    return app, app.state.sandbox, Database(database_url)


async def test_the_feed_sets_an_uninterpretable_request_aside_and_goes_on(
    feed: tuple[FastAPI, AvitoSandbox, Database],
) -> None:
    app, sandbox, db = feed
    poison = sandbox.add_lead({"buyoutPrice": 10**30})
    good = [sandbox.add_lead()["id"] for _ in range(30)]
    async with serve(app) as url, _client(url, CONFIG, feed_page_size=10) as avito:
        first = await pull_feed_once(db, avito, LocalWakeups())
        again = await pull_feed_once(db, avito, LocalWakeups())
    async with db.transaction() as session:
        stored = set(await session.scalars(select(Lead.avito_lead_id)))
        leads = await session.scalar(select(func.count()).select_from(Lead))
        cursor = await cursors.cursor(session, FEED_CURSOR)
        total, (kept,) = await inbox.quarantined(session, limit=10)
        by_source = await inbox.quarantined_by_source(session)
    await db.dispose()

    assert (first, again) == (30, 0)
    assert stored == set(good)
    assert leads == 30
    assert cursor == "31"  # past everything, the poisoned request included
    assert total == 1  # set aside once, not again on the second pull
    assert by_source == {"avito": 1}
    assert (kept.source, kept.channel) == ("avito", "feed")
    assert json.loads(kept.body) == poison
    assert kept.error is not None
    assert "'buyoutPrice' is 1000000000000000000000000000000" in kept.error


async def test_a_feed_row_without_a_lead_object_is_set_aside_and_the_page_goes_on(
    feed: tuple[FastAPI, AvitoSandbox, Database],
) -> None:
    app, sandbox, db = feed
    sandbox.add_lead()
    # A row as a broken Avito release might send it: the lead is a string, not an object.
    sandbox.book.feed.append(LeadRecord(position=2, payload="not a lead"))  # type: ignore[arg-type]
    good = sandbox.add_lead()["id"]
    async with serve(app) as url, _client(url, CONFIG) as avito:
        pulled = await pull_feed_once(db, avito, LocalWakeups())
    async with db.transaction() as session:
        stored = set(await session.scalars(select(Lead.avito_lead_id)))
        cursor = await cursors.cursor(session, FEED_CURSOR)
        total, (kept,) = await inbox.quarantined(session, limit=10)
    await db.dispose()

    assert pulled == 2
    assert good in stored
    assert cursor == "3"
    assert total == 1
    assert json.loads(kept.body) == {"id": 2, "lead": "not a lead"}
    assert kept.error is not None
    assert "feed row: ValueError" in kept.error
