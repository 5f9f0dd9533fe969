"""`leadbridge setup` and `leadbridge auth amocrm`: one-off commands an integrator runs."""

from __future__ import annotations

import asyncio

from leadbridge.amocrm.connect import connect
from leadbridge.config import Settings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.bridge import Bridge
from leadbridge.sync.provisioning import plan_and_apply


async def run_setup(settings: Settings, *, dry_run: bool) -> list[str]:
    bridge = Bridge.from_settings(settings)
    try:
        await asyncio.to_thread(upgrade, settings.database_url)
        await bridge.amo.bootstrap()
        return await plan_and_apply(
            bridge.db, bridge.amo, settings.funnel, bridge.webhook_url("amocrm"), dry_run=dry_run
        )
    finally:
        await bridge.stop()


async def exchange_amocrm_code(settings: Settings, code: str) -> None:
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        async with connect(settings.amocrm, db) as api:
            await api.exchange_code(code)
    finally:
        await db.dispose()
