"""The store on both databases: migrations, idempotent writes, per-lead outbox order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadbridge.domain.lead import BuyoutRequest, DeviceCard, Seller
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.status_path import PlannedStatus
from leadbridge.store import inbox, leads, migrate, outbox
from leadbridge.store.database import Database
from leadbridge.store.migrate import current_revision, head_revision

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _request(avito_id: str) -> BuyoutRequest:
    return BuyoutRequest(
        avito_lead_id=avito_id,
        offer_type="buyout",
        created_at=NOW,
        device=DeviceCard(
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
        ),
        seller=Seller(name="Пётр", phone="+79990001122"),
        city="Пермь",
        item_id=1,
        item_url=None,
        buyout_price_kopecks=3_000_000,
        seller_price_kopecks=3_500_000,
    )


async def test_migrations_reach_head(db: Database) -> None:
    """Every revision applied, up to the newest file: a revision left off the chain (two
    heads, a wrong `down_revision`) would stop short of it."""
    versions = Path(migrate.__file__).parent / "migrations" / "versions"
    newest = max(path.name.split("_", 1)[0] for path in versions.glob("0*.py"))
    assert current_revision(db.url) == head_revision() == newest


async def test_a_lead_is_stored_once_and_times_keep_their_zone(db: Database) -> None:
    async with db.transaction() as session:
        first = await leads.add_if_new(session, _request("a-1"), {"id": "a-1"}, NOW)
        again = await leads.add_if_new(session, _request("a-1"), {"id": "a-1"}, NOW)
    assert first is not None
    assert again is None
    async with db.transaction() as session:
        stored = await leads.by_id(session, first)
    assert stored is not None
    assert stored.avito_created_at == NOW
    assert stored.raw_payload == {"id": "a-1"}


async def test_inbox_key_makes_a_duplicate_event_a_no_op(db: Database) -> None:
    async with db.transaction() as session:
        kwargs = {"source": "amocrm", "event_key": "k1", "channel": "webhook", "now": NOW}
        assert await inbox.add_if_new(session, body="x", **kwargs) is not None
        assert await inbox.add_if_new(session, body="y", **kwargs) is None
        assert await inbox.backlog(session) == 1


async def _lead_with_statuses(db: Database, avito_id: str, statuses: list[str]) -> int:
    async with db.transaction() as session:
        lead_id = await leads.add_if_new(session, _request(avito_id), {}, NOW)
        assert lead_id is not None
        await outbox.enqueue(
            session,
            lead_id=lead_id,
            avito_lead_id=avito_id,
            statuses=[PlannedStatus(s) for s in statuses],
            occurred_at=NOW,
            now=NOW,
        )
    return lead_id


async def test_only_the_head_of_each_lead_is_claimed(db: Database) -> None:
    await _lead_with_statuses(db, "h-1", ["accepted", "contacted", "price_agreed"])
    await _lead_with_statuses(db, "h-2", ["accepted"])

    async with db.transaction() as session:
        first = await outbox.claim_heads(session, limit=10, now=NOW)
    assert sorted((i.avito_lead_id, i.status) for i in first) == [
        ("h-1", "accepted"),
        ("h-2", "accepted"),
    ]
    async with db.transaction() as session:
        assert await outbox.claim_heads(session, limit=10, now=NOW) == []
        for item in first:
            await outbox.finish(session, item.id, state=OutboxState.SENT, error=None, sent_at=NOW)
    async with db.transaction() as session:
        second = await outbox.claim_heads(session, limit=10, now=NOW)
    assert [(i.avito_lead_id, i.status) for i in second] == [("h-1", "contacted")]


async def test_a_retrying_head_holds_back_its_lead_only(db: Database) -> None:
    await _lead_with_statuses(db, "r-1", ["accepted", "contacted"])
    await _lead_with_statuses(db, "r-2", ["accepted"])
    async with db.transaction() as session:
        claimed = await outbox.claim_heads(session, limit=10, now=NOW)
        for item in claimed:
            if item.avito_lead_id == "r-1":
                await outbox.retry_later(
                    session, item.id, error="HTTP 503", next_attempt_at=NOW + timedelta(minutes=1)
                )
            else:
                await outbox.finish(
                    session, item.id, state=OutboxState.SENT, error=None, sent_at=NOW
                )
    async with db.transaction() as session:
        assert await outbox.claim_heads(session, limit=10, now=NOW) == []
        later = await outbox.claim_heads(session, limit=10, now=NOW + timedelta(minutes=2))
    assert [(i.avito_lead_id, i.status, i.attempts) for i in later] == [("r-1", "accepted", 2)]


async def test_a_parked_head_blocks_its_lead(db: Database) -> None:
    await _lead_with_statuses(db, "p-1", ["accepted", "contacted"])
    async with db.transaction() as session:
        (item,) = await outbox.claim_heads(session, limit=10, now=NOW)
        await outbox.finish(
            session, item.id, state=OutboxState.PARKED, error="forbidden", sent_at=None
        )
    async with db.transaction() as session:
        assert await outbox.claim_heads(session, limit=10, now=NOW) == []
        assert (await outbox.count_by_state(session)) == {"parked": 1, "pending": 1}


async def test_the_same_status_twice_for_a_lead_is_refused(db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    lead_id = await _lead_with_statuses(db, "d-1", ["accepted"])
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await outbox.enqueue(
                session,
                lead_id=lead_id,
                avito_lead_id="d-1",
                statuses=[PlannedStatus("accepted")],
                occurred_at=NOW,
                now=NOW,
            )
