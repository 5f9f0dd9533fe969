"""A purge leaves settlement alone: a frozen week keeps its lines, an open week settles to the
same lines and totals, whoever the sellers were."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.integration.privacy.sellers import WON, purge, snapshot
from tests.integration.settlement.world import START, WEEK, world

from leadbridge.store import status_log
from leadbridge.store.tables import Lead, StatusChange

pytestmark = pytest.mark.anyio


async def test_every_settlement_total_is_the_same_after_the_purge(database_url: str) -> None:
    async with world(database_url) as w:
        await w.buyout("s-1", 30_000, START)
        await w.buyout("s-2", 40_000, START + timedelta(days=1), returned_at=START + timedelta(2))
        await w.buyout("s-3", 50_000, START + timedelta(days=8))  # the next week
        frozen = await w.settle(freeze=True)
        following = await w.settle(WEEK.next())
        async with w.db.transaction() as session:  # the deals were won right after (May 2026)
            for lead_id in await session.scalars(select(Lead.id)):
                closed = START + timedelta(days=10)
                await status_log.append(
                    session,
                    StatusChange(
                        lead_id=lead_id, change_key=f"won:{lead_id}", new_status_id=WON,
                        stage_key="won", verdict="send", source="webhook", occurred_at=closed,
                        recorded_at=closed,
                    ),
                )  # fmt: skip
        before = await snapshot(w.db)

        report = await purge(w.db, keep_closed_days=30).run()

        frozen_after = await w.settle()
        following_after = await w.settle(WEEK.next())
        after = await snapshot(w.db)
        async with w.db.transaction() as session:
            names = set(await session.scalars(select(Lead.seller_name)))

    assert report.counts.leads == 3
    assert names == {"удалено"}
    assert frozen.tally.total_kopecks == 150_000 + 200_000 - 200_000
    assert frozen_after.tally == frozen.tally
    assert following_after.tally == following.tally
    assert following.tally.total_kopecks == 250_000
    assert after["status_log"] == before["status_log"]
