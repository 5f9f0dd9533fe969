from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tests.integration.avito.harness import CHAIN, rig, update

from leadbridge.avito.results import Outcome, StatusUpdate
from leadbridge.avito.settlement import (
    COMMISSION,
    STORNO,
    SettlementError,
    SettlementRow,
    parse_settlement,
)

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
        week = await r.client.fetch_settlement(MONDAY, NEXT_MONDAY)
        next_week = await r.client.fetch_settlement(NEXT_MONDAY, NEXT_MONDAY + timedelta(days=7))
    assert {result.outcome for result in results} == {Outcome.OK}
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


def body(**row: Any) -> dict[str, Any]:
    base = {
        "lineId": "b-1:commission",
        "leadId": "b-1",
        "type": "commission",
        "amount": 150_000,
        "basePrice": 3_000_000,
        "occurredAt": "2026-05-04T12:00:00+03:00",
    }
    return {"result": [{**base, **row}]}


def test_unknown_row_types_and_fields_are_kept() -> None:
    [row] = parse_settlement(body(type="dispute", amount=-5_000, disputeId="d-7"))
    assert isinstance(row, SettlementRow)
    assert (row.type, row.amount_kopecks) == ("dispute", -5_000)
    assert row.unknown_fields == {"disputeId": "d-7"}


@pytest.mark.parametrize(
    "broken",
    [
        body(amount=1500.0),
        body(amount="150000"),
        body(amount=True),
        body(amount=None),
        body(basePrice=30000.5),
        body(occurredAt="2026-05-04T12:00:00"),
        body(leadId=None),
        {"rows": []},
        {"result": ["x"]},
    ],
)
def test_money_or_identity_that_needs_guessing_is_rejected(broken: dict[str, Any]) -> None:
    with pytest.raises(SettlementError):
        parse_settlement(broken)
