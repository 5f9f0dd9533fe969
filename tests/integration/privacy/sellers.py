"""Leads as the flows leave them, for the retention tests: the lead with its raw payload, the
raw inbox event it came in, its logged stage changes, and its phone in our contact index."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from leadbridge.config import Settings
from leadbridge.config.privacy import PrivacySettings
from leadbridge.domain.lead import BuyoutRequest, DeviceCard, Seller
from leadbridge.store import inbox, leads, status_log
from leadbridge.store.database import Database
from leadbridge.store.tables import CrmContact, Cursor, InboxEvent, Lead, StatusChange
from leadbridge.store.tables.privacy import LeadClosure, PrivacyRun
from leadbridge.sync.privacy import Purge

NOW = datetime.now(UTC)
YEAR = timedelta(days=365)
WON, LOST, WORKING = 142, 143, 7001


def payload(avito_id: str, name: str, phone: str, imei: str) -> dict[str, Any]:
    return {
        "id": avito_id,
        "buyoutPrice": 3_000_000,
        "itemId": 42,
        "itemUrl": f"https://avito.ru/perm/telefony/{avito_id}",
        "location": {"city": "Пермь"},
        "seller": {"name": name, "phone": phone, "userId": 777},
        "device": {"model": "iPhone 12", "imei": imei, "memory": "128 ГБ"},
    }


def request(avito_id: str, name: str, phone: str, imei: str) -> BuyoutRequest:
    device = DeviceCard(
        category="phone", vendor="Apple", model="iPhone 12", memory="128 ГБ", color=None,
        ram=None, battery_health=None, imei=imei, kit=(), condition=None, device_history=None,
        screen_condition=None, case_condition=None,
    )  # fmt: skip
    return BuyoutRequest(
        avito_lead_id=avito_id,
        offer_type="buyout",
        created_at=NOW - 5 * YEAR,
        device=device,
        seller=Seller(name=name, phone=phone, avito_user_id=777),
        city="Пермь",
        item_id=42,
        item_url=f"https://avito.ru/perm/telefony/{avito_id}",
        buyout_price_kopecks=3_000_000,
        seller_price_kopecks=3_500_000,
    )


async def add_seller(
    db: Database,
    avito_id: str,
    *,
    phone: str,
    changes: list[tuple[int, datetime]],
    name: str = "Пётр Сидоров",
    imei: str = "356938035643809",
) -> int:
    """A lead with its raw event and phone index row, and `changes`: (status id, when)."""
    raw = payload(avito_id, name, phone, imei)
    async with db.transaction() as session:
        lead_id = await leads.add_if_new(session, request(avito_id, name, phone, imei), raw, NOW)
        assert lead_id is not None
        body = json.dumps(raw, ensure_ascii=False)
        await inbox.add_processed(session, [(f"lead:{avito_id}", "feed", body)], NOW)
        if await session.get(CrmContact, phone) is None:
            session.add(CrmContact(phone_e164=phone, amo_contact_id=len(avito_id)))
        for n, (status, when) in enumerate(changes):
            await status_log.append(
                session,
                StatusChange(
                    lead_id=lead_id, change_key=f"{avito_id}:{n}", new_status_id=status,
                    stage_key="lost" if status == LOST else "won", price_kopecks=3_000_000,
                    verdict="send", source="webhook", occurred_at=when, recorded_at=when,
                ),
            )  # fmt: skip
    return lead_id


def purge(db: Database, **privacy: Any) -> Purge:
    settings = Settings(privacy=PrivacySettings(**privacy))
    return Purge.for_settings(db, settings, actor="test")


async def snapshot(db: Database) -> dict[str, Any]:
    """Every row the purge could touch, as plain values."""
    async with db.transaction() as session:
        tables: dict[str, Any] = {}
        for table in (Lead, InboxEvent, CrmContact, Cursor, StatusChange, LeadClosure, PrivacyRun):
            rows = (await session.scalars(select(table))).all()
            tables[table.__tablename__] = sorted(
                (
                    tuple(repr(getattr(row, column.key)) for column in table.__table__.columns)
                    for row in rows
                ),
            )
    return tables
