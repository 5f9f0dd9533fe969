from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.statistics import (
    NO_DEAL,
    PriceComparison,
    bought_out_position,
    iso_week_of,
    iso_week_range,
    loss_reasons,
    percent,
    stage_reach,
    stage_times,
)

FUNNEL = load_funnel(DEFAULT_FUNNEL)


def test_reach_counts_every_stage_below_the_furthest() -> None:
    reach = stage_reach(FUNNEL, {NO_DEAL: 1, 0: 1, 3: 2})

    by_key = {s.stage_key: (s.reached, s.rate, s.from_previous) for s in reach}
    assert by_key["new"] == (3, Decimal("75.0"), Decimal("75.0"))
    assert by_key["negotiation"] == (2, Decimal("50.0"), Decimal("100.0"))
    assert by_key["price_agreed"] == (0, Decimal("0.0"), Decimal("0.0"))


def test_bought_out_is_the_first_stage_of_the_commission_status() -> None:
    assert bought_out_position(FUNNEL) == 9


def test_iso_weeks_both_ways_and_a_bad_one_is_refused() -> None:
    # Monday 00:00 Moscow time, the settlement's week: 21:00 UTC on the Sunday before.
    assert iso_week_range("2026-W18") == (
        datetime(2026, 4, 26, 21, tzinfo=UTC),
        datetime(2026, 5, 3, 21, tzinfo=UTC),
    )
    assert iso_week_of(date(2026, 4, 27)) == "2026-W18"
    with pytest.raises(ValueError, match="ISO week"):
        iso_week_range("2026-18")
    with pytest.raises(ValueError, match="ISO week"):
        iso_week_range("2026-W54")


def test_rates_prices_times_and_reasons() -> None:
    assert percent(1, 3) == Decimal("33.3")
    assert percent(5, 0) == Decimal("0.0")
    prices = PriceComparison(3, 9_000_000, 9_300_000, 2, 1)
    assert prices.mean_difference_kopecks == -100_000
    assert prices.paid_to_asked == Decimal("96.8")
    (taken,) = stage_times(FUNNEL, [("taken", 4, 36_000.0)])
    assert (taken.name, taken.mean_hours) == ("Взята в работу", Decimal("2.5"))
    assert taken.mean_seconds == Decimal(9_000)
    (brief,) = stage_times(FUNNEL, [("taken", 3, 100.0)])  # seconds, not «0.0 ч»
    assert (brief.mean_hours, brief.mean_seconds) == (Decimal("0.0"), Decimal(33))
    ordered = loss_reasons([(None, 1), ("Б", 3), ("А", 3)])
    assert [(r.reason, r.leads) for r in ordered] == [("А", 3), ("Б", 3), ("Не указана", 1)]
