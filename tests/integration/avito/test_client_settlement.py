from datetime import UTC, date, datetime, timedelta

import pytest
from tests.integration.avito.harness import CHAIN, rig, update

from leadbridge.avito.results import Outcome, StatusUpdate
from leadbridge.avito.settlement import COMMISSION, STORNO, read_settlement

MONDAY = date(2026, 5, 4)
NEXT_MONDAY = date(2026, 5, 11)


def returned(lead_id: str, at: datetime) -> StatusUpdate:
    return StatusUpdate(lead_id, "returned", at, f"{lead_id}:returned")


@pytest.mark.anyio
async def test_settlement_rows_are_typed_with_integer_kopecks() -> None:
    async with rig() as r:
        for lead_id in ("b-1", "b-2"):
            r.sandbox.add_lead({"id": lead_id})
        chains = [update(lead_id, step) for step in range(len(CHAIN)) for lead_id in ("b-1", "b-2")]
        sunday_night = datetime(2026, 5, 10, 20, 59, tzinfo=UTC)  # 23:59 in Moscow
        results = await r.client.apply_statuses([*chains, returned("b-2", sunday_night)])
        answer = await r.client.fetch_settlement_answer(MONDAY, NEXT_MONDAY)
        later = await r.client.fetch_settlement_answer(NEXT_MONDAY, NEXT_MONDAY + timedelta(days=7))
    reading, next_reading = read_settlement(answer), read_settlement(later)
    week, next_week = reading.rows, next_reading.rows
    assert {result.outcome for result in results} == {Outcome.OK}
    assert (reading.quarantined, reading.drifts) == ([], [])
    assert [(row.lead_id, row.type, row.amount_kopecks) for row in week] == [
        ("b-1", COMMISSION, 150_000),  # 5 % of 30 000 ₽
        ("b-2", COMMISSION, 150_000),
        ("b-2", STORNO, -150_000),
    ]
    assert all(type(row.amount_kopecks) is int for row in week)
    assert week[0].base_price_kopecks == 3_000_000
    assert week[2].occurred_at == sunday_night
    assert week[2].line_id == "b-2:storno"
    assert next_week == []
