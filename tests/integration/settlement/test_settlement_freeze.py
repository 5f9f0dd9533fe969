"""Freezing: a frozen week never changes; later corrections land in the next open week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from tests.integration.settlement.world import START, WEEK, world

from leadbridge.settlement.service import SettlementRefused
from leadbridge.store.tables import OutboxItem

pytestmark = pytest.mark.anyio


async def test_corrections_after_freezing_become_adjustments_of_the_next_week(
    database_url: str,
) -> None:
    async with world(database_url) as w:
        await w.buyout("f-1", 30_000, START)
        await w.buyout("f-2", 40_000, START + timedelta(days=1))
        frozen = await w.settle(freeze=True)
        await w.set_price("f-1", 50_000)  # 1 500 ₽ → 2 500 ₽
        await w.buyout("f-3", 60_000, START + timedelta(days=2))  # late: in the frozen week
        again = await w.settle()
        following = await w.settle(WEEK.next())
        later = await w.settle(WEEK.next().next())
        await w.settle(WEEK.next(), freeze=True)
        after_booking = await w.settle(WEEK.next().next())

    assert frozen.frozen_at is not None
    assert [len(frozen.diff_json()), frozen.tally.total_kopecks] == [0, 150_000 + 200_000]
    # The frozen week keeps its lines; Avito places the late status in it, so the diff shows it
    # (Avito never learns of amoCRM's price: its line still matches the frozen one).
    assert again.tally.total_kopecks == 350_000
    assert [(item["outcome"], item["line"]) for item in again.diff_json()] == [
        ("only_avito", "f-3:commission")
    ]
    assert following.tally.by_kind == {"adjustment": 100_000 + 300_000}
    assert following.diff_json() == []  # adjustments are ours alone
    assert later.tally.lines == 0  # only the next open week carries them
    assert after_booking.tally.lines == 0  # frozen adjustments count as booked


async def test_a_frozen_or_unfinished_week_is_refused(database_url: str) -> None:
    async with world(database_url) as w:
        await w.buyout("f-1", 30_000, START)
        await w.settle(freeze=True)
        with pytest.raises(SettlementRefused, match="2026-W19 was frozen at"):
            await w.settle(freeze=True)
        with pytest.raises(SettlementRefused, match="not over until 2026-05-18 00:00"):
            await w.settle(WEEK.next(), freeze=True, now=START + timedelta(days=8))


async def test_a_status_no_longer_acknowledged_is_taken_back_next_week(database_url: str) -> None:
    async with world(database_url) as w:
        await w.buyout("f-1", 30_000, START)
        await w.buyout("f-2", 40_000, START + timedelta(days=1))
        await w.settle(freeze=True)
        async with w.db.transaction() as session:  # an operator parked it after the fact
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.avito_lead_id == "f-2", OutboxItem.status == "bought_out")
                .values(state="parked")
            )
        following = await w.settle(WEEK.next())

    assert following.tally.by_kind == {"adjustment": -200_000}
