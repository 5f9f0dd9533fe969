"""Conversion statistics on a small known data set, number by number, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.statistics import GroupConversion, LossReasonCount, Statistics
from leadbridge.store import statistics
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import Lead, OutboxItem, StatusChange

pytestmark = pytest.mark.anyio
FUNNEL = load_funnel(DEFAULT_FUNNEL)
LOST_CHANGED_MIND, LOST_PRICE = "Продавец передумал", "Не сошлись в цене"


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# id, city, model, created, stage now, asking price, [(stage, when, price, loss reason)]
LEADS = [
    (1, "Москва", "iPhone 13", at(4, 28, 10), "bought_out", 3_200_000,
     [("taken", at(4, 28, 11), None, None), ("contacted", at(4, 28, 13), None, None),
      ("price_agreed", at(4, 29, 13), 3_000_000, None),
      ("bought_out", at(4, 30, 13), 3_000_000, None)]),
    (2, "Москва", "iPhone 13", at(4, 29, 9), "lost", None,
     [("contacted", at(4, 29, 10), None, None), ("lost", at(4, 29, 12), None, LOST_CHANGED_MIND)]),
    (3, "Казань", "Pixel 7", at(5, 5, 9), "bought_out", 1_900_000,
     [("taken", at(5, 5, 10), None, None), ("bought_out", at(5, 6, 10), 2_000_000, None)]),
    (4, "Казань", "iPhone 13", at(5, 6, 9), "new", None, []),
    (5, None, "Pixel 7", at(5, 7, 9), None, None, []),  # no deal yet
    (6, "Казань", "Pixel 7", at(5, 7, 9), "lost", None,
     [("taken", at(5, 7, 10), None, None), ("lost", at(5, 7, 11), None, LOST_PRICE)]),
]  # fmt: skip


async def load(database_url: str) -> Database:
    upgrade(database_url)
    db = Database(database_url)
    async with db.transaction() as session:
        for lead_id, city, model, created, stage, asking, changes in LEADS:
            session.add(_lead(lead_id, city, model, created, stage, asking))
            await session.flush()
            for number, (key, when, price, reason) in enumerate(changes):
                session.add(_change(lead_id, number, key, when, price, reason))
                if key == "bought_out":
                    session.add(_sent(lead_id, "bought_out", price, when))
    return db


async def test_all_requests_number_by_number(database_url: str) -> None:
    db = await load(database_url)
    try:
        async with db.transaction() as session:
            result = await statistics.gather(session, FUNNEL)
    finally:
        await db.dispose()

    assert result.leads == 6
    reach = {s.stage_key: (s.reached, s.rate, s.from_previous) for s in result.stages}
    assert reach["new"] == (5, Decimal("83.3"), Decimal("83.3"))
    assert reach["taken"] == (4, Decimal("66.7"), Decimal("80.0"))  # lead 2 skipped it: counted
    assert reach["contacted"] == (3, Decimal("50.0"), Decimal("75.0"))
    assert reach["negotiation"] == (2, Decimal("33.3"), Decimal("66.7"))
    assert reach["bought_out"] == (2, Decimal("33.3"), Decimal("100.0"))
    assert reach["refurbishing"] == (0, Decimal("0.0"), Decimal("0.0"))
    assert "lost" not in reach
    assert result.cities == (
        GroupConversion("Казань", 3, 1, 1),
        GroupConversion("Москва", 2, 1, 1),
        GroupConversion("—", 1, 0, 0),
    )
    assert result.cities[0].rate == Decimal("33.3")
    assert result.models == (
        GroupConversion("Pixel 7", 3, 1, 1),
        GroupConversion("iPhone 13", 3, 1, 1),
    )
    assert result.weeks == (
        GroupConversion("2026-W18", 2, 1, 1),
        GroupConversion("2026-W19", 4, 1, 1),
    )
    times = {t.stage_key: (t.exits, t.mean_hours) for t in result.stage_times}
    assert times == {
        "taken": (3, Decimal("9.0")),  # 2 h, 24 h and 1 h
        "contacted": (2, Decimal("13.0")),  # 24 h and 2 h
        "price_agreed": (1, Decimal("24.0")),
    }
    prices = result.prices
    assert (prices.deals, prices.paid_kopecks, prices.asked_kopecks) == (2, 5_000_000, 5_100_000)
    assert (prices.below_asking, prices.above_asking) == (1, 1)
    assert prices.paid_to_asked == Decimal("98.0")
    assert prices.mean_difference_kopecks == -50_000
    assert result.loss_reasons == (
        LossReasonCount(LOST_PRICE, 1, Decimal("50.0")),
        LossReasonCount(LOST_CHANGED_MIND, 1, Decimal("50.0")),
    )


async def test_one_week_counts_only_its_requests(database_url: str) -> None:
    db = await load(database_url)
    try:
        async with db.transaction() as session:
            result: Statistics = await statistics.gather(session, FUNNEL, week="2026-W19")
    finally:
        await db.dispose()

    assert result.leads == 4
    reach = {s.stage_key: s.reached for s in result.stages}
    assert (reach["new"], reach["taken"], reach["contacted"], reach["bought_out"]) == (3, 2, 1, 1)
    assert result.weeks == (GroupConversion("2026-W19", 4, 1, 1),)
    assert {t.stage_key: t.mean_hours for t in result.stage_times} == {"taken": Decimal("12.5")}
    assert (result.prices.deals, result.prices.paid_kopecks) == (1, 2_000_000)
    assert result.loss_reasons == (LossReasonCount(LOST_PRICE, 1, Decimal("100.0")),)


def _lead(
    lead_id: int,
    city: str | None,
    model: str,
    created: datetime,
    stage: str | None,
    asking: int | None,
) -> Lead:
    return Lead(
        id=lead_id,
        avito_lead_id=f"b-{lead_id}",
        offer_type="buyout",
        device={},
        model=model,
        seller_name="—",
        city=city,
        buyout_price_kopecks=2_500_000,
        seller_price_kopecks=asking,
        avito_created_at=created,
        raw_payload={},
        deal_state="created" if stage else "pending",
        deal_attempts=1 if stage else 0,
        amo_lead_id=1000 + lead_id if stage else None,
        stage_key=stage,
        created_at=created,
        updated_at=created,
    )


def _change(
    lead_id: int, number: int, stage: str, when: datetime, price: int | None, reason: str | None
) -> StatusChange:
    return StatusChange(
        lead_id=lead_id,
        change_key=f"{lead_id}:{number}",
        new_status_id=number,
        stage_key=stage,
        price_kopecks=price,
        loss_reason=reason,
        verdict="send",
        source="webhook",
        occurred_at=when,
        recorded_at=when,
    )


def _sent(lead_id: int, status: str, price: int | None, when: datetime) -> OutboxItem:
    return OutboxItem(
        lead_id=lead_id,
        seq=10,
        avito_lead_id=f"b-{lead_id}",
        status=status,
        price_kopecks=price,
        occurred_at=when,
        idempotency_key=f"b-{lead_id}:{status}",
        state="sent",
        attempts=1,
        next_attempt_at=when,
        created_at=when,
        sent_at=when,
    )
