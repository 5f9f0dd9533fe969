from datetime import date, datetime
from decimal import Decimal

import pytest

from leadbridge.sandbox.avito import StatusDictionary
from leadbridge.sandbox.avito.settlement import (
    MOSCOW,
    CommissionRule,
    PeriodError,
    Week,
    settlement_lines,
)
from leadbridge.sandbox.avito.state import HistoryEntry, LeadBook

RULE = CommissionRule()
MONDAY = date(2026, 5, 4)


@pytest.mark.parametrize(
    ("price", "commission"),
    [
        (1_000_000, 50_000),  # 10 000 ₽ → 5 % = 500 ₽
        (100_000, 30_000),  # 1 000 ₽ → 50 ₽, raised to the 300 ₽ minimum
        (20_000_000, 500_000),  # 200 000 ₽ → 10 000 ₽, capped at the 5 000 ₽ maximum
        (1_234_567, 61_728),  # 61 728.35 kopecks → 61 728
        (1_234_570, 61_729),  # 61 728.5 kopecks rounds half up
    ],
)
def test_commission_is_a_share_of_the_price_between_min_and_max(
    price: int, commission: int
) -> None:
    assert RULE.commission(price) == commission


def test_commission_rule_is_configurable() -> None:
    rule = CommissionRule(percent=Decimal("2.5"), min_kopecks=0, max_kopecks=10**9)
    assert rule.commission(1_000_000) == 25_000


def test_bounds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="min <= max"):
        CommissionRule(min_kopecks=2, max_kopecks=1)


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [(date(2026, 5, 5), date(2026, 5, 12)), (MONDAY, date(2026, 5, 18)), (MONDAY, MONDAY)],
)
def test_a_period_is_one_monday_to_monday_week(date_from: date, date_to: date) -> None:
    with pytest.raises(PeriodError):
        Week.of(date_from, date_to)


def test_week_runs_from_monday_midnight_in_moscow() -> None:
    week = Week.of(MONDAY, date(2026, 5, 11))
    assert week.contains(datetime(2026, 5, 4, 0, 0, tzinfo=MOSCOW))
    assert week.contains(datetime(2026, 5, 10, 23, 59, 59, tzinfo=MOSCOW))
    assert not week.contains(datetime(2026, 5, 11, 0, 0, tzinfo=MOSCOW))
    assert not week.contains(datetime.fromisoformat("2026-05-03T20:59:59+00:00"))
    assert week.contains(datetime.fromisoformat("2026-05-03T21:00:00+00:00"))


def _book(*history: tuple[str, str, int | None]) -> LeadBook:
    book = LeadBook()
    record = book.add({"id": "b-1"})
    for status, occurred_at, price in history:
        record.history.append(HistoryEntry(status, occurred_at, occurred_at, status, price))
    return book


def test_commission_and_storno_fall_in_the_week_their_status_occurred() -> None:
    book = _book(
        ("price_agreed", "2026-05-08T10:00:00Z", 4_000_000),
        ("bought_out", "2026-05-10T20:59:59Z", 3_900_000),  # Sunday 23:59:59 in Moscow
        ("returned", "2026-05-10T21:00:00Z", None),  # Monday 00:00 in Moscow
    )
    first = settlement_lines(book, StatusDictionary(), RULE, Week.of(MONDAY, date(2026, 5, 11)))
    second = settlement_lines(
        book, StatusDictionary(), RULE, Week.of(date(2026, 5, 11), date(2026, 5, 18))
    )
    assert [(line.type, line.amount, line.base_price) for line in first] == [
        ("commission", 195_000, 3_900_000)
    ]
    assert [(line.type, line.amount, line.base_price) for line in second] == [
        ("storno", -195_000, 3_900_000)
    ]
    assert {first[0].line_id, second[0].line_id} == {"b-1:commission", "b-1:storno"}
