"""Both simulators and our webhook endpoint over loopback, a migrated database, and the flows a
seller's change on Avito goes through: intake (webhook and feed), deals, the change flow and the
relay. Avito's webhooks reach our real endpoint."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
from sqlalchemy import select
from tests.integration.amocrm.amocrm_rig import Rig as AmoRig
from tests.integration.amocrm.amocrm_rig import amocrm_rig

from leadbridge.avito.client import AvitoClient
from leadbridge.config import (
    DEFAULT_FUNNEL,
    AvitoSettings,
    RelaySettings,
    Settings,
    WebSettings,
    load_funnel,
)
from leadbridge.domain.seller_changes import OnWithdrawal
from leadbridge.sandbox.avito import AvitoSandbox, AvitoSandboxConfig, create_avito_app
from leadbridge.store.database import Database
from leadbridge.store.tables import Lead, OutboxItem
from leadbridge.sync.avito_changes import AvitoChanges
from leadbridge.sync.change_effects import ChangeEffects
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.deal_tasks import DealTasks
from leadbridge.sync.intake import pull_feed_once
from leadbridge.sync.provisioning import provision
from leadbridge.sync.relay import Relay
from leadbridge.sync.routing import Router
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

FUNNEL = load_funnel(DEFAULT_FUNNEL)
TOKEN, SECRET = "changes-path-token", "changes-avito-secret"
PROMPT = RelaySettings(backoff_base_s=0.001, backoff_max_s=0.001)


@dataclass
class World:
    amo: AmoRig
    avito: AvitoSandbox
    client: AvitoClient
    admin: httpx.AsyncClient  # Avito's admin endpoints: a seller's hand
    web: httpx.AsyncClient  # our endpoint, as Avito's webhook reaches it
    deals: DealBatcher
    changes: AvitoChanges
    relay: Relay

    @property
    def db(self) -> Database:
        return self.amo.db

    async def new_lead(self) -> str:
        """A request on Avito, taken in and made a deal (with its card note and task)."""
        lead = self.avito.add_lead()
        await self.delivered()
        await self.pull()
        while await self.deals.run_once():
            pass
        return str(lead["id"])

    async def seller(self, lead_id: str, action: str, edit: dict[str, Any] | None = None) -> None:
        response = await self.admin.post(f"/sandbox/leads/{lead_id}/{action}", json=edit or {})
        assert response.status_code == 200, response.text
        await self.delivered()

    async def pull(self) -> int:
        return await pull_feed_once(self.db, self.client, LocalWakeups())

    async def apply(self) -> None:
        """The change flow until it has nothing left to do."""
        while await self.changes.run_once():
            pass

    async def delivered(self) -> None:
        """Every webhook event Avito has sent so far answered (or given up)."""
        counters = self.avito.webhooks.counters
        for _ in range(1000):
            if not counters.in_flight and counters.delivered + counters.given_up >= counters.events:
                return
            await anyio.sleep(0.01)
        raise AssertionError(f"webhooks still in flight: {counters}")

    async def lead(self, avito_id: str) -> Lead:
        async with self.db.transaction() as session:
            found = await session.scalar(select(Lead).where(Lead.avito_lead_id == avito_id))
        assert found is not None
        return found

    def deal(self, amo_id: int | None) -> dict[str, Any]:
        assert amo_id is not None
        return dict(self.amo.sandbox.leads[amo_id])

    def notes(self, amo_id: int | None, starting: str) -> list[str]:
        texts = [
            str(note["params"].get("text"))
            for note in self.amo.sandbox.notes
            if note["entity_id"] == amo_id
        ]
        return [text for text in texts if text.startswith(starting)]

    async def outbox(self, avito_id: str) -> list[OutboxItem]:
        async with self.db.transaction() as session:
            statement = (
                select(OutboxItem)
                .where(OutboxItem.avito_lead_id == avito_id)
                .order_by(OutboxItem.seq)
            )
            return list((await session.scalars(statement)).all())


@contextlib.asynccontextmanager
async def world(
    database_url: str, on_withdrawal: OnWithdrawal = OnWithdrawal.CLOSE_LOST
) -> AsyncIterator[World]:
    config = AvitoSandboxConfig(method_rps={})
    avito_app = create_avito_app(config)
    sandbox: AvitoSandbox = avito_app.state.sandbox
    sandbox.retry_delay_scale = 0.01
    async with amocrm_rig(database_url, long_lived=True) as amo, serve(avito_app) as avito_url:
        settings = Settings(
            database_url=database_url,
            web=WebSettings(webhook_token=TOKEN),
            avito=AvitoSettings(webhook_secret=SECRET),
        )
        web_app = create_app(WebContext(settings=settings, db=amo.db, wakeups=LocalWakeups()))
        avito_settings = AvitoSettings(
            base_url=avito_url, client_id=config.client_id, client_secret=config.client_secret
        )
        async with (
            serve(web_app) as web_url,
            httpx.AsyncClient(base_url=avito_url) as admin,
            httpx.AsyncClient(base_url=web_url, headers={"X-Avito-Webhook-Secret": SECRET}) as web,
        ):
            client = AvitoClient(avito_settings)
            try:
                await client.register_webhook(f"{web_url}/webhooks/avito/{TOKEN}", SECRET)
                layout = await provision(amo.db, amo.api, FUNNEL, webhook_url=None)
                router = Router(None, FUNNEL.statuses.terminal)
                tasks = DealTasks(db=amo.db, api=amo.api, router=router, attempt_settle_s=0.5)
                deals = DealBatcher(
                    db=amo.db,
                    api=amo.api,
                    funnel=FUNNEL,
                    layout=layout,
                    wakeups=LocalWakeups(),
                    attempt_settle_s=0.5,
                    router=router,
                    tasks=tasks,
                )
                effects = ChangeEffects(
                    db=amo.db, api=amo.api, funnel=FUNNEL, layout=layout, attempt_settle_s=0.5
                )
                changes = AvitoChanges(
                    db=amo.db,
                    funnel=FUNNEL,
                    effects=effects,
                    wakeups=LocalWakeups(),
                    on_withdrawal=on_withdrawal,
                    deal_wait_s=0.0,
                )
                relay = Relay(
                    db=amo.db,
                    avito=client,
                    settings=PROMPT,
                    chain=FUNNEL.statuses.chain,
                    terminal=FUNNEL.statuses.terminal,
                )
                yield World(amo, sandbox, client, admin, web, deals, changes, relay)
            finally:
                await client.aclose()
                await sandbox.aclose()
