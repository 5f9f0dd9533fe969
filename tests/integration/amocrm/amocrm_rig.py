"""The amoCRM simulator served over loopback, a migrated database, and the bridge's client of it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.connect import connect
from leadbridge.config import AmoCrmSettings
from leadbridge.domain.funnel import Funnel
from leadbridge.sandbox.amocrm import AmoSandbox, create_amocrm_app
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.provisioning import provision
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.server import serve


@dataclass
class Rig:
    sandbox: AmoSandbox
    db: Database
    api: AmoApi
    settings: AmoCrmSettings


@contextlib.asynccontextmanager
async def amocrm_rig(database_url: str, *, long_lived: bool = False) -> AsyncIterator[Rig]:
    """With `long_lived`, a long-lived token the client is ready with; else an OAuth
    authorization code the test's own `bootstrap()` exchanges."""
    upgrade(database_url)
    app = create_amocrm_app()
    sandbox: AmoSandbox = app.state.sandbox
    async with serve(app) as url:
        if long_lived:
            token = SecretStr(sandbox.issue_long_lived_token())
            settings = AmoCrmSettings(base_url=url, long_lived_token=token)
        else:
            settings = AmoCrmSettings(
                base_url=url,
                client_id=sandbox.config.client_id,
                client_secret=SecretStr(sandbox.config.client_secret),
                redirect_uri=sandbox.config.redirect_uri,
                auth_code=SecretStr(sandbox.issue_auth_code()),
            )
        db = Database(database_url)
        api = connect(settings, db)
        try:
            if long_lived:
                await api.bootstrap()
            yield Rig(sandbox, db, api, settings)
        finally:
            await api.aclose()
            await db.dispose()
            await sandbox.aclose()


async def provisioned_batcher(r: Rig, funnel: Funnel, **options: Any) -> DealBatcher:
    """The account provisioned for `funnel` (no webhook), and a deal batcher on it; `options`
    are the batcher's own (attempt_settle_s, router, tasks, repeat_window_days …)."""
    layout = await provision(r.db, r.api, funnel, webhook_url=None)
    return DealBatcher(
        db=r.db, api=r.api, funnel=funnel, layout=layout, wakeups=LocalWakeups(), **options
    )
