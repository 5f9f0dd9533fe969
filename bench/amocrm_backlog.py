"""The start both amoCRM benches time from: a served simulator, a connected and provisioned
client, and a backlog of stored requests waiting for their deal.

`bench.amocrm_deals` and `bench.amocrm_routing` compare against each other's numbers, so they
build this start one way; what they then time differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.connect import connect
from leadbridge.config import AmoCrmSettings
from leadbridge.domain.funnel import Funnel
from leadbridge.sandbox.amocrm import AmoSandbox
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store import leads
from leadbridge.store.database import Database
from leadbridge.sync.crm_layout import CrmLayout
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.provisioning import provision
from leadbridge.sync.wakeups import LocalWakeups


@dataclass(frozen=True, slots=True)
class Backlog:
    api: AmoApi  # bootstrapped; the caller closes it
    layout: CrmLayout


async def backlog(
    db: Database, sandbox: AmoSandbox, base_url: str, funnel: Funnel, deals: int
) -> Backlog:
    """Connect to the simulator served at `base_url`, lay out the funnel in it, and store
    `deals` requests (the same seeded ones each time) that wait for a deal."""
    settings = AmoCrmSettings(
        base_url=base_url,
        client_id=sandbox.config.client_id,
        client_secret=sandbox.config.client_secret,
        redirect_uri=sandbox.config.redirect_uri,
        auth_code=sandbox.issue_auth_code(),
    )
    api = connect(settings, db)
    await api.bootstrap()
    layout = await provision(db, api, funnel, webhook_url=None)
    factory = LeadFactory(seed=7)
    for _ in range(deals):
        await accept_lead(db, factory.make(), channel="feed", wakeups=LocalWakeups())
    return Backlog(api, layout)


async def deals_waiting(db: Database) -> bool:
    async with db.transaction() as session:
        return bool(await leads.awaiting_deal(session, 1))
