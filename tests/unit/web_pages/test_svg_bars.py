"""Server-drawn bar charts: bars scaled to the largest value, labels escaped."""

from __future__ import annotations

import re
from decimal import Decimal

from leadbridge.web.pages.svg import BAR_WIDTH, Bar, bar_chart


def widths(svg: str) -> list[int]:
    return [int(width) for width in re.findall(r'<rect [^>]*width="(\d+)"', svg)]


def test_bars_are_scaled_to_the_largest_value() -> None:
    svg = bar_chart(
        [Bar("a", Decimal("50.0"), "50 %"), Bar("b", Decimal("12.5"), "12.5 %"), Bar("c", 0, "0")],
        "Конверсия",
    )
    assert widths(svg) == [BAR_WIDTH, BAR_WIDTH // 4, 0]
    assert "<title>Конверсия</title>" in svg


def test_labels_from_outside_are_escaped() -> None:
    svg = bar_chart([Bar('<script>alert("x")</script>', 1, "1")], "t")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_no_bars_says_so_and_negative_values_draw_empty() -> None:
    assert "нет данных" in bar_chart([], "t")
    assert widths(bar_chart([Bar("a", -5, "-5"), Bar("b", 10, "10")], "t")) == [0, BAR_WIDTH]
