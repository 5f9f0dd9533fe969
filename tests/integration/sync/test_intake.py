"""Intake from Avito's lead feed: every request once, whichever channel brought it first."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from leadbridge.avito.client import AvitoClient
from leadbridge.config import AvitoSettings
from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.store import cursors
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import Lead
from leadbridge.sync.intake import FEED_CURSOR, Intake, accept_lead, pull_feed_once
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio


async def test_the_feed_brings_every_request_once_and_remembers_where_it_stopped(
    database_url: str,
) -> None:
    upgrade(database_url)
    config = AvitoSandboxConfig(method_rps={"token": 5, "leads_get": 50, "status_apply": 5})
    app = create_avito_app(config)
    sandbox = app.state.sandbox
    pushed = sandbox.add_lead()  # this one also arrives by webhook, before the pull
    for _ in range(249):
        sandbox.add_lead()
    db = Database(database_url)
    async with serve(app) as url:
        avito = AvitoClient(
            AvitoSettings(
                base_url=url,
                client_id=config.client_id,
                client_secret=config.client_secret,
                leads_get_rps=50,
            )  # type: ignore[arg-type]
        )
        try:
            assert (
                await accept_lead(db, pushed, channel="webhook", wakeups=LocalWakeups())
                is Intake.NEW
            )
            assert await pull_feed_once(db, avito, LocalWakeups()) == 249
            assert await pull_feed_once(db, avito, LocalWakeups()) == 0
            sandbox.add_lead()
            assert await pull_feed_once(db, avito, LocalWakeups()) == 1
        finally:
            await avito.aclose()
    async with db.transaction() as session:
        stored = await session.scalar(select(func.count()).select_from(Lead))
        cursor = await cursors.cursor(session, FEED_CURSOR)
        raw = await session.scalar(
            select(Lead.raw_payload).where(Lead.avito_lead_id == pushed["id"])
        )
    await db.dispose()
    assert stored == 251
    assert cursor == "251"
    assert raw == pushed  # the payload is kept whole beside the parsed card
