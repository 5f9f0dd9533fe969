"""`leadbridge setup` and `leadbridge auth amocrm`: one-off commands an integrator runs.

Setup also records which amoCRM account the token is of (`GET /api/v4/account`): the web
process refuses webhooks naming another account by it, also when `amocrm.account_id` is unset.
A setting that names another account than the token's fails setup: every webhook would be
refused. So does a `[routing]` naming an amoCRM user who does not exist or is deactivated
(`GET /api/v4/users`): amoCRM would refuse every deal routed to them.
"""

from __future__ import annotations

import asyncio

import structlog

from leadbridge.amocrm.connect import connect
from leadbridge.config import Settings
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.amocrm_account import remember_account, token_account
from leadbridge.sync.bridge import Bridge
from leadbridge.sync.provisioning import plan_and_apply
from leadbridge.sync.routing import check_users, routing_of

log = structlog.get_logger(__name__)


async def run_setup(settings: Settings, *, dry_run: bool) -> list[str]:
    bridge = Bridge.from_settings(settings)
    try:
        await asyncio.to_thread(upgrade, settings.database_url)
        await bridge.amo.bootstrap()
        account = await token_account(settings, bridge.amo)
        await check_users(routing_of(settings), bridge.amo)
        changes = await plan_and_apply(
            bridge.db, bridge.amo, settings.funnel, bridge.webhook_url("amocrm"), dry_run=dry_run
        )
        if await remember_account(bridge.db, account, dry_run=dry_run):
            changes.append(f"record amoCRM account {account}: other accounts' webhooks refused")
        return changes
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
