"""The charts' weeks are the settlement's: Monday 00:00 Moscow time, on both databases. Sunday
23:30 and Monday 00:30 Moscow time are both Sunday in UTC, and yet two weeks apart here."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from tests.integration.store.test_statistics_queries import _lead

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.periods import Week
from leadbridge.domain.statistics import GroupConversion
from leadbridge.store import statistics
from leadbridge.store.database import Database

pytestmark = pytest.mark.anyio
FUNNEL = load_funnel(DEFAULT_FUNNEL)
MOSCOW = ZoneInfo("Europe/Moscow")
SUNDAY_LATE = datetime(2026, 5, 3, 23, 30, tzinfo=MOSCOW)  # 20:30 UTC
MONDAY_EARLY = datetime(2026, 5, 4, 0, 30, tzinfo=MOSCOW)  # 21:30 UTC, still Sunday there


async def test_a_sunday_night_and_a_monday_morning_fall_in_the_settlements_weeks(
    db: Database,
) -> None:
    async with db.transaction() as session:
        for lead_id, created in ((1, SUNDAY_LATE), (2, MONDAY_EARLY), (3, MONDAY_EARLY)):
            session.add(_lead(lead_id, "Москва", "iPhone 13", created, None, None))
    async with db.transaction() as session:
        every = await statistics.gather(session, FUNNEL)
        monday_on = await statistics.gather(session, FUNNEL, week=Week.of(MONDAY_EARLY).name)

    sunday, monday = Week.of(SUNDAY_LATE).name, Week.of(MONDAY_EARLY).name
    assert (sunday, monday) == ("2026-W18", "2026-W19")
    assert every.weeks == (GroupConversion(sunday, 1, 0, 0), GroupConversion(monday, 2, 0, 0))
    # The week filter cuts at the same moment: Monday's requests only.
    assert monday_on.leads == 2
    assert monday_on.weeks == (GroupConversion(monday, 2, 0, 0),)
