"""Both simulators over real HTTP, a real database, and the flows wired as the bridge wires them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.connect import connect
from leadbridge.avito.client import AvitoClient
from leadbridge.config import (
    DEFAULT_FUNNEL,
    AmoCrmSettings,
    AvitoSettings,
    ReconcileSettings,
    RelaySettings,
    load_funnel,
)
from leadbridge.domain.funnel import Funnel
from leadbridge.sandbox.amocrm import AmoSandbox, create_amocrm_app
from leadbridge.sandbox.avito import AvitoSandbox, AvitoSandboxConfig, create_avito_app
from leadbridge.store import reconciliation as recon_store
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.crm_layout import CrmLayout
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.provisioning import provision
from leadbridge.sync.reconciler import Reconciler, RunResult
from leadbridge.sync.relay import Relay
from leadbridge.sync.stage_changes import StageChanges
from leadbridge.sync.wakeups import LocalWakeups, Wakeups
from leadbridge.web.server import serve

FUNNEL = load_funnel(DEFAULT_FUNNEL)
QUIET = ReconcileSettings(read_sample_ratio=0.0, missing_deal_grace_s=0.0, in_flight_grace_s=0.0)


@dataclass
class Rig:
    db: Database
    amo: AmoSandbox
    avito: AvitoSandbox
    api: AmoApi
    avito_client: AvitoClient
    layout: CrmLayout
    wakeups: Wakeups
    amo_url: str = ""
    avito_url: str = ""

    async def new_lead(self, *, with_deal: bool = True) -> tuple[str, int | None]:
        """A request from Avito, stored, and (unless told otherwise) made a deal in amoCRM."""
        payload = self.avito.add_lead()
        await accept_lead(self.db, payload, channel="feed", wakeups=self.wakeups)
        if not with_deal:
            return str(payload["id"]), None
        batcher = DealBatcher(
            db=self.db, api=self.api, funnel=FUNNEL, layout=self.layout, wakeups=self.wakeups
        )
        while await batcher.run_once():
            pass
        amo_id = next(
            lead["id"]
            for lead in self.amo.leads.values()
            if any(
                value["value"] == payload["id"]
                for field in lead["custom_fields_values"] or []
                for value in field["values"]
            )
        )
        return str(payload["id"]), int(amo_id)

    async def move(self, amo_id: int, stage: str, **more: Any) -> None:
        """A manager moves the deal in amoCRM; no webhook reaches us (none is subscribed)."""
        body = {"status_id": self.layout.status_ids[stage], **more}
        await self.api.client.request("PATCH", f"/api/v4/leads/{amo_id}", json=body)

    async def edit(self, amo_id: int, **fields: Any) -> None:
        await self.api.client.request("PATCH", f"/api/v4/leads/{amo_id}", json=fields)

    def changes(self, funnel: Funnel = FUNNEL) -> StageChanges:
        return StageChanges(
            db=self.db, api=self.api, funnel=funnel, layout=self.layout, wakeups=self.wakeups
        )

    async def sync(self, amo_id: int) -> None:
        """What a delivered webhook would have done, then everything queued goes to Avito."""
        await self.changes().resync(amo_id)
        await self.send_all()

    async def send_all(self) -> None:
        relay = Relay(db=self.db, avito=self.avito_client, settings=RelaySettings())
        while await relay.run_once():
            pass

    def reconciler(
        self, settings: ReconcileSettings = QUIET, funnel: Funnel = FUNNEL
    ) -> Reconciler:
        return Reconciler(
            db=self.db,
            api=self.api,
            avito=self.avito_client,
            funnel=funnel,
            layout=self.layout,
            changes=self.changes(funnel),
            settings=settings,
            wakeups=self.wakeups,
        )

    async def findings(self, result: RunResult) -> dict[tuple[str, str], int]:
        async with self.db.transaction() as session:
            return await recon_store.counts_by_kind(session, result.run_id)

    def avito_status(self, avito_id: str) -> str | None:
        record = self.avito.lead(avito_id)
        assert record is not None
        return record.status


@contextlib.asynccontextmanager
async def rig(database_url: str) -> AsyncIterator[Rig]:
    upgrade(database_url)
    amo_app = create_amocrm_app()
    avito_config = AvitoSandboxConfig(method_rps={})
    avito_app = create_avito_app(avito_config)
    amo: AmoSandbox = amo_app.state.sandbox
    async with serve(amo_app) as amo_url, serve(avito_app) as avito_url:
        db = Database(database_url)
        api = connect(
            AmoCrmSettings(
                base_url=amo_url,
                client_id=amo.config.client_id,
                client_secret=amo.config.client_secret,  # type: ignore[arg-type]
                redirect_uri=amo.config.redirect_uri,
                auth_code=amo.issue_auth_code(),  # type: ignore[arg-type]
            ),
            db,
        )
        avito_client = AvitoClient(
            AvitoSettings(
                base_url=avito_url,
                client_id=avito_config.client_id,
                client_secret=avito_config.client_secret,  # type: ignore[arg-type]
            )
        )
        try:
            await api.bootstrap()
            layout = await provision(db, api, FUNNEL, webhook_url=None)
            avito = avito_app.state.sandbox
            yield Rig(db, amo, avito, api, avito_client, layout, LocalWakeups(), amo_url, avito_url)
        finally:
            await avito_client.aclose()
            await api.aclose()
            await db.dispose()
            await amo.aclose()


def now() -> datetime:
    return datetime.now(UTC)
