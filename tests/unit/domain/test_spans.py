"""A span in its largest unit and the next: the rule the CLI's and the alerts' wording share."""

from __future__ import annotations

import pytest

from leadbridge.domain.spans import SpanUnits, two_units

SHORT = SpanUnits("d", "h", "m", "s")
RUSSIAN = SpanUnits(" д", " ч", " мин", " с", between=" ")


@pytest.mark.parametrize(
    ("seconds", "short", "russian"),
    [
        (0, "0s", "0 с"),
        (35, "35s", "35 с"),
        (60, "1m", "1 мин"),
        (61, "1m", "1 мин"),  # seconds beside minutes are dropped
        (3600, "1h", "1 ч"),
        (4800, "1h20m", "1 ч 20 мин"),
        (86400, "1d", "1 д"),
        (97200, "1d3h", "1 д 3 ч"),
        (97260, "1d3h", "1 д 3 ч"),  # minutes beside days are dropped
    ],
)
def test_the_largest_unit_and_the_next_unless_it_is_zero(
    seconds: int, short: str, russian: str
) -> None:
    assert two_units(seconds, SHORT) == short
    assert two_units(seconds, RUSSIAN) == russian
