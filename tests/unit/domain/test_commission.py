from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadbridge.domain.commission import FIXED, CommissionRule, RuleBook, RuleError
from leadbridge.sandbox.avito.settlement import CommissionRule as SimulatorRule

DEFAULT = CommissionRule(valid_from=date(2000, 1, 1))
prices = st.integers(min_value=1, max_value=10**12)


@given(prices)
def test_the_default_rule_is_the_simulators_rule(price: int) -> None:
    assert DEFAULT.commission(price, "phone") == SimulatorRule().commission(price)


@given(prices, st.decimals(min_value=0, max_value=100, places=3), st.integers(0, 10**6))
def test_percent_commission_is_the_exact_share_rounded_half_up_then_bounded(
    price: int, percent: Decimal, low: int
) -> None:
    rule = CommissionRule(
        valid_from=date(2000, 1, 1), percent=percent, min_kopecks=low, max_kopecks=low + 10**6
    )
    amount = rule.commission(price, "tablet")
    # Exact in integers: share·100 = price·percent; half up means floor(share + 1/2).
    scaled = price * percent * 1000  # an integer: percent has at most three places
    assert scaled == int(scaled)
    unbounded = (2 * int(scaled) + 100_000) // 200_000
    assert amount == min(max(unbounded, low), low + 10**6)
    assert type(amount) is int


@pytest.mark.parametrize(
    ("price", "commission"),
    [(1_234_570, 61_729), (1_234_569, 61_728), (100_000, 30_000), (20_000_000, 500_000)],
)
def test_half_a_kopeck_rounds_up_and_bounds_apply(price: int, commission: int) -> None:
    assert DEFAULT.commission(price, "phone") == commission


def test_a_fixed_rule_charges_by_device_category() -> None:
    rule = CommissionRule(
        valid_from=date(2026, 1, 1), kind=FIXED, fixed_kopecks={"phone": 50_000, "tablet": 70_000}
    )
    assert rule.commission(123, "phone") == 50_000
    assert rule.commission(10**9, "tablet") == 70_000
    with pytest.raises(RuleError, match="watch"):
        rule.commission(1, "watch")


def test_the_rule_in_force_at_the_moment_applies_in_moscow_time() -> None:
    new = CommissionRule(valid_from=date(2026, 12, 1), percent=Decimal("10"), min_kopecks=0)
    book = RuleBook.of([new, DEFAULT])
    # 2026-11-30 21:30 UTC is already 1 December in Moscow.
    assert book.at(datetime(2026, 11, 30, 21, 30, tzinfo=UTC)) is new
    assert book.at(datetime(2026, 11, 30, 20, 59, tzinfo=UTC)) is DEFAULT
    assert book.commission(datetime(2026, 12, 5, tzinfo=UTC), 1_000_000, "phone") == 100_000


def test_rule_books_refuse_gaps_and_twins() -> None:
    with pytest.raises(RuleError, match="no commission rule in force"):
        RuleBook.of([CommissionRule(valid_from=date(2026, 1, 1))]).at(
            datetime(2025, 1, 1, tzinfo=UTC)
        )
    with pytest.raises(RuleError, match="same date"):
        RuleBook.of([DEFAULT, DEFAULT])
    with pytest.raises(RuleError, match="min <= max"):
        CommissionRule(valid_from=date(2026, 1, 1), min_kopecks=2, max_kopecks=1)
