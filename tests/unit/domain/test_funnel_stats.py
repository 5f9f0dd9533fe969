"""Funnel reach and conversion from deals' furthest stage."""

from __future__ import annotations

from decimal import Decimal

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.funnel_stats import funnel_counts, stage_positions

FUNNEL = load_funnel(DEFAULT_FUNNEL)


def test_a_deal_counts_in_every_stage_up_to_its_furthest() -> None:
    positions = stage_positions(FUNNEL)
    furthest = {positions["new"]: 2, positions["price_agreed"]: 1, positions["won"]: 1}
    counts = {count.key: count for count in funnel_counts(FUNNEL, {"lost": 3}, furthest)}
    assert [counts[key].reached for key in ("new", "taken", "price_agreed", "sold", "won")] == [
        4, 2, 2, 1, 1,
    ]  # fmt: skip
    assert counts["new"].to_next == Decimal("50.0")
    assert counts["price_agreed"].to_next == Decimal("50.0")


def test_the_lost_stage_is_off_the_path_and_the_last_stage_has_no_next() -> None:
    counts = {count.key: count for count in funnel_counts(FUNNEL, {"lost": 3}, {})}
    assert "lost" not in stage_positions(FUNNEL)
    assert (counts["lost"].current, counts["lost"].reached, counts["lost"].to_next) == (3, 3, None)
    assert counts["won"].to_next is None
    assert counts["new"].to_next is None  # nobody reached it: no share to give
