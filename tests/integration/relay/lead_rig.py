"""Leads with queued statuses in a real database, and a relay against the Avito simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import FastAPI

from leadbridge.avito.client import AvitoClient
from leadbridge.config import AvitoSettings, RelaySettings
from leadbridge.domain.lead import BuyoutRequest, DeviceCard, Seller
from leadbridge.domain.status_path import PlannedStatus
from leadbridge.sandbox.avito import AvitoSandbox, AvitoSandboxConfig, create_avito_app
from leadbridge.store import leads, outbox
from leadbridge.store.database import Database
from leadbridge.sync.relay import Relay
from leadbridge.web.server import serve

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CHAIN = ("accepted", "contacted", "price_agreed", "pickup_scheduled", "device_received")
TERMINAL = ("rejected", "cancelled", "returned")
# Retries due at once: the tests drive the relay step by step, never by the clock.
PROMPT = RelaySettings(backoff_base_s=0.001, backoff_max_s=0.001)


def request(avito_id: str) -> BuyoutRequest:
    device = DeviceCard(
        category="phone",
        vendor="Apple",
        model="iPhone 12",
        memory="128 ГБ",
        color="синий",
        ram=None,
        battery_health=90,
        imei=None,
        kit=(),
        condition="Б/у",
        device_history=None,
        screen_condition=None,
        case_condition=None,
    )
    return BuyoutRequest(
        avito_lead_id=avito_id,
        offer_type="buyout",
        created_at=NOW,
        device=device,
        seller=Seller(name="Пётр", phone="+79990001122"),
        city="Пермь",
        item_id=1,
        item_url=None,
        buyout_price_kopecks=3_000_000,
        seller_price_kopecks=3_500_000,
    )


async def queue(
    db: Database, avito_id: str, statuses: list[str], prices: Mapping[str, int] | None = None
) -> int:
    """A lead with `statuses` queued for it; `prices` in kopecks, by status."""
    prices = prices or {}
    async with db.transaction() as session:
        lead_id = await leads.add_if_new(session, request(avito_id), {}, NOW)
        assert lead_id is not None
        planned = [PlannedStatus(status, prices.get(status)) for status in statuses]
        await outbox.enqueue(
            session,
            lead_id=lead_id,
            avito_lead_id=avito_id,
            statuses=planned,
            occurred_at=NOW,
            now=NOW,
        )
    return lead_id


@dataclass
class AvitoRig:
    sandbox: AvitoSandbox
    avito: AvitoClient

    def relay(self, db: Database, settings: RelaySettings = PROMPT) -> Relay:
        return Relay(db=db, avito=self.avito, settings=settings, chain=CHAIN)

    def applies(self) -> int:
        """Status-apply requests the simulator received."""
        return int(self.sandbox.state_json()["stats"]["requests"].get("status_apply", 0))


@asynccontextmanager
async def avito_rig(change: Callable[[FastAPI], None] | None = None) -> AsyncIterator[AvitoRig]:
    """The simulator served over loopback; `change` adds to it what Avito might ship next."""
    config = AvitoSandboxConfig(method_rps={})
    app = create_avito_app(config)
    if change is not None:
        change(app)
    async with serve(app) as url:
        settings = AvitoSettings(
            base_url=url, client_id=config.client_id, client_secret=config.client_secret
        )
        avito = AvitoClient(settings)
        try:
            yield AvitoRig(app.state.sandbox, avito)
        finally:
            await avito.aclose()
