"""Numbers as a Russian reader writes them: a decimal comma, thousands apart by a narrow no-break
space, and durations in the unit that suits their size.

Python's own formats speak English («77.2», «41,000.00»); every dashboard page formats through
here, so a number reads the same on every page and in every table and chart.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from leadbridge.domain.spans import SpanUnits, two_units

# U+202F: narrow enough to read as one number, and a line never breaks inside it.
THOUSANDS = "\u202f"
DASH = "—"
_SPAN_UNITS = SpanUnits(" дн", " ч", " мин", " с", between=" ")
MINUTE, HOUR, DAY = 60, 3600, 86400


def number(value: Decimal | int | float, places: int = 0) -> str:
    """12345.678, 1 → «12 345,7»; −0,0 reads as «0,0». Rounded half up, as on paper."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = abs(rounded)
    text = f"{rounded:,.{places}f}"
    return text.replace(",", THOUSANDS).replace(".", ",").replace("-", "−")


def count(value: int | None) -> str:
    """41000 → «41 000»."""
    return DASH if value is None else number(value)


def percent(value: Decimal | float | None, places: int = 1) -> str:
    """Decimal("77.2") → «77,2 %» (the space before % is a Russian typesetting rule)."""
    return DASH if value is None else f"{number(value, places)} %"


def rubles(kopecks: int | None, *, always_kopecks: bool = False) -> str:
    """12345600 → «123 456 ₽»; kopecks only when there are any, or when asked for (a
    comparison of two amounts reads better with both in the same shape)."""
    if kopecks is None:
        return DASH
    value = Decimal(kopecks) / 100
    places = 2 if always_kopecks or kopecks % 100 else 0
    return f"{number(value, places)} ₽"


def duration(seconds: Decimal | float | None) -> str:
    """A mean or a typical time, in one unit that suits its size: «45 с», «12 мин», «3,5 ч»,
    «2 дн». Hours and days keep a tenth: «0,0 ч» for a stage of ten seconds hid that it was
    seconds."""
    if seconds is None:
        return DASH
    value = max(Decimal(str(seconds)), Decimal(0))
    if value < MINUTE:
        return f"{number(value)} с"
    if value < HOUR:
        return f"{number(value / MINUTE)} мин"
    if value < DAY:
        return f"{_tenths(value / HOUR)} ч"
    return f"{_tenths(value / DAY)} дн"


def span(seconds: float | None) -> str:
    """An elapsed time to the minute, in its two largest units: «4 с», «12 мин», «3 ч 5 мин»,
    «2 дн 3 ч» (how long something waited, or how long ago)."""
    if seconds is None:
        return DASH
    return two_units(int(max(seconds, 0)), _SPAN_UNITS)


def _tenths(value: Decimal) -> str:
    """One decimal, dropped when it is zero: «3,5», «12»."""
    text = number(value, 1)
    return text.removesuffix(",0")
