"""Russian numbers on the dashboard: a decimal comma, thousands apart by a narrow no-break space,
durations in the unit that suits them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadbridge.web.pages.numbers import count, duration, number, percent, rubles, span

NNBSP = "\u202f"
UNITS = {"с": 1, "мин": 60, "ч": 3600, "дн": 86400}


def seconds_of(text: str) -> Decimal:
    """«3,5 ч» → 12600: what a reader takes the text to mean."""
    amount, unit = text.split(" ")
    return value_of(amount) * UNITS[unit]


def value_of(text: str) -> Decimal:
    return Decimal(text.replace(NNBSP, "").replace(",", ".").replace("−", "-"))


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        (percent(Decimal("77.2")), "77,2 %"),
        (percent(Decimal("0.0")), "0,0 %"),
        (percent(Decimal("100")), "100,0 %"),
        (count(41_000), f"41{NNBSP}000"),
        (count(1_234_567), f"1{NNBSP}234{NNBSP}567"),
        (count(999), "999"),
        (count(None), "—"),
        (rubles(4_100_000), f"41{NNBSP}000 ₽"),
        (rubles(4_100_000, always_kopecks=True), f"41{NNBSP}000,00 ₽"),
        (rubles(4_100_050), f"41{NNBSP}000,50 ₽"),
        (rubles(-50_000), "−500 ₽"),
        (number(Decimal("-0.04"), 1), "0,0"),
        (number(Decimal("2.25"), 1), "2,3"),  # half up, as on paper
    ],
)
def test_numbers_read_in_russian(shown: str, expected: str) -> None:
    assert shown == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0 с"),
        (45, "45 с"),
        (Decimal("33.4"), "33 с"),
        (60, "1 мин"),
        (720, "12 мин"),
        (3600, "1 ч"),
        (12_600, "3,5 ч"),
        (86_400, "1 дн"),
        (172_800, "2 дн"),
        (-5, "0 с"),
        (None, "—"),
    ],
)
def test_durations_take_the_unit_that_suits_them(
    seconds: Decimal | int | None, expected: str
) -> None:
    assert duration(seconds) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(4, "4 с"), (720, "12 мин"), (11_100, "3 ч 5 мин"), (183_600, "2 дн 3 ч"), (None, "—")],
)
def test_spans_take_their_two_largest_units(seconds: int | None, expected: str) -> None:
    assert span(seconds) == expected


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2))
def test_a_number_reads_back_as_itself(value: Decimal) -> None:
    assert value_of(number(value, 2)) == value


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_are_groups_of_three(value: int) -> None:
    groups = count(value).split(NNBSP)
    assert all(len(group) == 3 for group in groups[1:])
    assert 1 <= len(groups[0]) <= 3


@given(
    st.decimals(min_value=0, max_value=10**8, places=3),
    st.decimals(min_value=0, max_value=10**8, places=3),
)
def test_a_longer_time_never_reads_shorter(a: Decimal, b: Decimal) -> None:
    shorter, longer = sorted((a, b))
    assert seconds_of(duration(shorter)) <= seconds_of(duration(longer))


@given(st.decimals(min_value=0, max_value=10**8, places=3))
def test_a_duration_reads_back_within_its_rounding(seconds: Decimal) -> None:
    # Seconds and minutes are whole, hours and days keep a tenth: at most half a step off.
    step = {"с": 1, "мин": 60, "ч": 360, "дн": 8640}[duration(seconds).split(" ")[1]]
    assert abs(seconds_of(duration(seconds)) - seconds) <= Decimal(step) / 2
