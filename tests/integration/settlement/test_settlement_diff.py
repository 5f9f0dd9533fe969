"""A week settled against Avito's simulator: empty diff when all is well, and each injected
discrepancy in its own class."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.integration.settlement.world import START, WEEK, world

from leadbridge.domain.settlement import AMOUNT_MISMATCH, ONLY_AVITO, ONLY_OURS
from leadbridge.store import settlement as store

pytestmark = pytest.mark.anyio
DAY = timedelta(days=1)


async def test_a_worked_week_matches_avito_line_for_line(database_url: str) -> None:
    async with world(database_url) as w:
        await w.buyout("s-1", 30_000, START)
        await w.buyout("s-2", 200_000, START + DAY)  # 10 000 ₽ → capped at 5 000 ₽
        await w.buyout("s-3", 4_000, START + 2 * DAY, returned_at=START + 3 * DAY)
        await w.buyout("s-4", 50_000, START + 6 * DAY + timedelta(hours=11, minutes=59))
        await w.buyout("s-5", 50_000, START + 6 * DAY + timedelta(hours=12))  # Monday 00:00, Moscow
        result = await w.settle()

    assert result.diff is not None
    assert result.diff_json() == []
    assert result.diff.matched == 5
    assert result.tally.by_kind == {
        "commission": 150_000 + 500_000 + 30_000 + 250_000,
        "storno": -30_000,
    }


async def test_each_injected_discrepancy_is_reported_in_its_class_only(database_url: str) -> None:
    async with world(database_url) as w:
        for number in range(1, 5):
            await w.buyout(f"s-{number}", 30_000, START + number * timedelta(hours=5))
        await w.buyout("s-5", 40_000, START + DAY, returned_at=START + 2 * DAY)
        w.lose_on_avito("s-1", "bought_out")  # Avito lost a status it had acknowledged
        await w.set_price("s-2", 36_000)  # the final price corrected in amoCRM afterwards
        # A return that reached Avito but not through us, and a lead we never heard of.
        await w.avito_only("s-3", 30_000, START + 2 * DAY, ("returned",))
        chain = ("accepted", "contacted", "price_agreed", "pickup_scheduled")
        await w.avito_only(
            "x-9", 10_000, START + 3 * DAY, (*chain, "device_received", "bought_out")
        )
        result = await w.settle()
        async with w.db.transaction() as session:
            stored = await store.period(session, WEEK)

    assert result.diff is not None
    assert [
        (item["outcome"], item["line"], item["ours"], item["avito"]) for item in result.diff_json()
    ] == [
        (ONLY_OURS, "s-1:commission", 150_000, None),
        (AMOUNT_MISMATCH, "s-2:commission", 180_000, 150_000),
        (ONLY_AVITO, "s-3:storno", None, -150_000),
        (ONLY_AVITO, "x-9:commission", None, 50_000),
    ]
    assert result.diff.matched == 4  # s-3, s-4, s-5 and s-5's storno
    assert stored is not None
    assert stored.matched == 4


async def test_a_return_in_a_later_week_is_a_storno_of_that_week(database_url: str) -> None:
    async with world(database_url) as w:
        await w.buyout("s-1", 30_000, START, returned_at=START + 8 * DAY)
        this_week, next_week = await w.settle(), await w.settle(WEEK.next())

    assert (this_week.tally.by_kind, this_week.diff_json()) == ({"commission": 150_000}, [])
    assert (next_week.tally.by_kind, next_week.diff_json()) == ({"storno": -150_000}, [])
