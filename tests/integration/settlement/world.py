"""Our database, the Avito simulator and the amoCRM simulator, both over real HTTP, and the real
relay sending our outbox to Avito: a week of buyouts as the bridge would leave it.

The settlement reads Avito's answer through `changed_avito`: as the simulator sends it, unless a
test rewrites it the way a change on Avito's side would."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import update
from tests.integration.amocrm.test_amocrm_edges import settings_for
from tests.integration.avito.harness import Rig, rig
from tests.integration.settlement.changed_avito import ChangedAvito, changed_avito
from tests.integration.store.test_store import _request

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.connect import connect
from leadbridge.avito.client import AvitoClient
from leadbridge.avito.results import StatusUpdate
from leadbridge.config import AvitoSettings, RelaySettings
from leadbridge.domain.commission import CommissionRule, RuleBook
from leadbridge.domain.periods import Week
from leadbridge.domain.status_path import PlannedStatus
from leadbridge.sandbox.amocrm import AmoSandbox, create_amocrm_app
from leadbridge.settlement.amocrm_prices import AmoPrices
from leadbridge.settlement.lines import LineMaker
from leadbridge.settlement.service import SettleRequest, WeekResult, settle_week
from leadbridge.store import leads, outbox
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import Lead
from leadbridge.sync.relay import Relay
from leadbridge.web.server import serve

WEEK = Week.parse("2026-W19")  # 4–11 May 2026
START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CHAIN = ("accepted", "contacted", "price_agreed", "pickup_scheduled", "device_received")
RULES = RuleBook.of([CommissionRule(valid_from=date(2000, 1, 1))])


@dataclass
class World:
    db: Database
    avito: Rig
    amo: AmoSandbox
    api: AmoApi
    changed: ChangedAvito  # what stands between the simulator's answer and ours
    settlement: AvitoClient  # reads Avito's settlement through `changed`
    deals: dict[str, int] = dataclasses.field(default_factory=dict)

    def maker(self) -> LineMaker:
        return LineMaker(RULES, "bought_out", "returned", AmoPrices(self.api))

    async def settle(self, week: Week = WEEK, **request: Any) -> WeekResult:
        settle_request = SettleRequest(week=week, now=request.pop("now", NOW), **request)
        return await settle_week(self.db, self.maker(), settle_request, self.settlement)

    async def buyout(
        self, lead_id: str, rubles: int, at: datetime, *, returned_at: datetime | None = None
    ) -> None:
        """A lead worked to `bought_out` at `at` (and returned at `returned_at`), with its
        deal in amoCRM, queued in our outbox and sent by the relay."""
        self.avito.sandbox.add_lead({"id": lead_id})
        answer = await self.api.client.request(
            "POST", "/api/v4/leads", json=[{"name": lead_id, "price": rubles}]
        )
        self.deals[lead_id] = int(answer["_embedded"]["leads"][0]["id"])
        kopecks = rubles * 100
        steps = [PlannedStatus(status) for status in CHAIN]
        steps[2] = PlannedStatus("price_agreed", price_kopecks=kopecks)
        async with self.db.transaction() as session:
            lead = await leads.add_if_new(session, _request(lead_id), {}, START)
            assert lead is not None
            await session.execute(
                update(Lead).where(Lead.id == lead).values(amo_lead_id=self.deals[lead_id])
            )
            await self._queue(session, lead, lead_id, steps, at - timedelta(hours=1))
            done = [PlannedStatus("bought_out", price_kopecks=kopecks)]
            await self._queue(session, lead, lead_id, done, at)
            if returned_at is not None:
                await self._queue(session, lead, lead_id, [PlannedStatus("returned")], returned_at)
        await self.relay_all()

    async def _queue(
        self, session: Any, lead: int, lead_id: str, steps: list[PlannedStatus], at: datetime
    ) -> None:
        await outbox.enqueue(
            session, lead_id=lead, avito_lead_id=lead_id, statuses=steps, occurred_at=at, now=START
        )

    async def relay_all(self) -> None:
        relay = Relay(db=self.db, avito=self.avito.client, settings=RelaySettings())
        while await relay.run_once():
            pass

    async def avito_only(
        self, lead_id: str, rubles: int, at: datetime, kinds: tuple[str, ...]
    ) -> None:
        """Statuses that reach Avito without passing through our outbox."""
        if self.avito.sandbox.book.get(lead_id) is None:
            self.avito.sandbox.add_lead({"id": lead_id})
        updates = [
            StatusUpdate(
                lead_id,
                status,
                at + timedelta(minutes=index),
                f"{lead_id}:{status}",
                price_kopecks=rubles * 100 if status in ("price_agreed", "bought_out") else None,
            )
            for index, status in enumerate(kinds)
        ]
        await self.avito.client.apply_statuses(updates)

    async def set_price(self, lead_id: str, rubles: int) -> None:
        deal = self.deals[lead_id]
        await self.api.client.request("PATCH", f"/api/v4/leads/{deal}", json={"price": rubles})

    def lose_on_avito(self, lead_id: str, status: str) -> None:
        record = self.avito.sandbox.book.get(lead_id)
        assert record is not None
        record.history[:] = [entry for entry in record.history if entry.status != status]


@contextlib.asynccontextmanager
async def world(database_url: str) -> AsyncIterator[World]:
    upgrade(database_url)
    app = create_amocrm_app()
    amo: AmoSandbox = app.state.sandbox
    db = Database(database_url)
    async with serve(app) as url, rig() as avito, changed_avito(avito.admin.base_url) as changed:
        api = connect(settings_for(amo, url), db)
        config = avito.sandbox.config
        settlement = AvitoClient(
            AvitoSettings(
                base_url=changed.url,
                client_id=config.client_id,
                client_secret=config.client_secret,
            )
        )
        try:
            await api.bootstrap()
            yield World(db, avito, amo, api, changed, settlement)
        finally:
            await settlement.aclose()
            await api.aclose()
            await db.dispose()
            await amo.aclose()
