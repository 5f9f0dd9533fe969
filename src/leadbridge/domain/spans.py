"""A span of time in one short phrase: its largest unit and, unless that is zero, the next
(`2d3h`, «1 ч 20 мин», «4 мин»). The CLI, the dashboard and the alerts each word the units in
their own language; the rule for which two units show is the same everywhere, and lives here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SpanUnits:
    """How one reader names the units, each written right after its number, and what stands
    between the two parts."""

    day: str
    hour: str
    minute: str
    second: str
    between: str = ""


def two_units(seconds: int, units: SpanUnits) -> str:
    """`seconds` in days and hours, hours and minutes, minutes, or seconds: the largest unit
    that is not zero and the next one down when that is not zero either."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _pair(days, units.day, hours, units.hour, units.between)
    if hours:
        return _pair(hours, units.hour, minutes, units.minute, units.between)
    return f"{minutes}{units.minute}" if minutes else f"{secs}{units.second}"


def _pair(big: int, big_unit: str, small: int, small_unit: str, between: str) -> str:
    return f"{big}{big_unit}{between}{small}{small_unit}" if small else f"{big}{big_unit}"
