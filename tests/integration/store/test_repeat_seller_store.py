"""Repeat sellers in the store, on both databases: the IMEI column filled by migration 0018 and
by intake, and a batch's earlier deals read in one query by phone or IMEI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from leadbridge.domain.lead import BuyoutRequest, DeviceCard, Seller
from leadbridge.domain.repeat_seller import Match, Repeat
from leadbridge.store import leads
from leadbridge.store.database import Database, driver_url
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import Lead
from leadbridge.store.types import JsonColumn

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PHONE, OTHER_PHONE = "+79001112233", "+79004445566"
IMEI = "353971100000017"


def request(avito_id: str, *, phone: str | None, imei: str | None, days_ago: int) -> BuyoutRequest:
    device = DeviceCard(
        category="phone",
        vendor="Apple",
        model="iPhone 12",
        memory=None,
        color=None,
        ram=None,
        battery_health=None,
        imei=imei,
        kit=(),
        condition=None,
        device_history=None,
        screen_condition=None,
        case_condition=None,
    )
    return BuyoutRequest(
        avito_lead_id=avito_id,
        offer_type="buyout",
        created_at=NOW - timedelta(days=days_ago),
        device=device,
        seller=Seller(name="Анна", phone=phone),
        city=None,
        item_id=None,
        item_url=None,
        buyout_price_kopecks=1_000_000,
        seller_price_kopecks=None,
    )


def test_the_migration_fills_the_imei_of_leads_stored_before_it(database_url: str) -> None:
    upgrade(database_url, "0017")
    engine = sa.create_engine(driver_url(database_url, asynchronous=False))
    table = sa.table(
        "leads",
        *(sa.column(name) for name in ("id", "avito_lead_id", "offer_type", "model")),
        *(sa.column(name) for name in ("seller_name", "buyout_price_kopecks", "deal_state")),
        *(sa.column(name) for name in ("deal_attempts", "avito_created_at")),
        *(sa.column(name) for name in ("created_at", "updated_at")),
        sa.column("device", JsonColumn),
        sa.column("raw_payload", JsonColumn),
    )
    # More leads than the migration reads at a time: the last one is in its second chunk.
    imeis: dict[int, str | None] = dict.fromkeys(range(4, 1002))
    imeis |= {1: "35-397110-000001-7", 2: None, 3: "нет", 1002: IMEI}
    rows: list[dict[str, Any]] = [
        {
            "id": lead_id,
            "avito_lead_id": f"m-{lead_id}",
            "offer_type": "buyout",
            "model": "iPhone 12",
            "seller_name": "Анна",
            "buyout_price_kopecks": 100,
            "deal_state": "pending",
            "deal_attempts": 0,
            "avito_created_at": NOW.replace(tzinfo=None),
            "created_at": NOW.replace(tzinfo=None),
            "updated_at": NOW.replace(tzinfo=None),
            "device": {"model": "iPhone 12", "imei": imei},
            "raw_payload": {},
        }
        for lead_id, imei in imeis.items()
    ]
    with engine.begin() as connection:
        connection.execute(table.insert(), rows)

    upgrade(database_url, "0018")

    with engine.connect() as connection:
        query = sa.text("SELECT id, imei FROM leads WHERE imei IS NOT NULL OR id < 4")
        stored = {lead_id: imei for lead_id, imei in connection.execute(query)}
    engine.dispose()
    assert stored == {1: IMEI, 2: None, 3: None, 1002: IMEI}


async def test_earlier_deals_share_a_phone_or_an_imei_and_have_a_deal(db: Database) -> None:
    stored = [
        request("by-phone", phone=PHONE, imei=None, days_ago=3),
        request("by-imei", phone=OTHER_PHONE, imei="3539-7110-0000-017", days_ago=5),
        request("too-old", phone=PHONE, imei=None, days_ago=40),
        request("no-deal", phone=PHONE, imei=None, days_ago=1),
        request("stranger", phone="+79990000000", imei=None, days_ago=1),
    ]
    async with db.transaction() as session:
        await leads.add_new(session, [(item, {}) for item in stored], NOW)
        ids = {lead.avito_lead_id: lead.id for lead in await leads.recent(session, 10)}
        with_deals = [name for name in ids if name != "no-deal"]
        await leads.mark_deals_created(
            session,
            [leads.CreatedDeal(ids[name], 7000 + ids[name], None) for name in with_deals],
            stage_key="new",
            avito_status=None,
            now=NOW,
        )

    async with db.transaction() as session:
        found = await leads.earlier_deals(session, {PHONE}, {IMEI}, NOW - timedelta(days=30))

    assert {deal.lead_id for deal in found} == {ids["by-phone"], ids["by-imei"]}
    by_imei = next(deal for deal in found if deal.lead_id == ids["by-imei"])
    assert (by_imei.amo_lead_id, by_imei.imei) == (7000 + ids["by-imei"], IMEI)
    assert by_imei.requested_at == NOW - timedelta(days=5)


async def test_a_repeat_is_recorded_on_its_lead(db: Database) -> None:
    async with db.transaction() as session:
        lead_id = await leads.add_if_new(
            session, request("r-1", phone=PHONE, imei=None, days_ago=0), {}, NOW
        )
        assert lead_id is not None
        await leads.set_repeats(session, {lead_id: Repeat(7001, NOW, Match.PHONE)})

    async with db.transaction() as session:
        lead = await session.get(Lead, lead_id)
    assert lead is not None
    assert (lead.repeat_amo_lead_id, lead.repeat_requested_at, lead.repeat_match) == (
        7001,
        NOW,
        "phone",
    )
