"""Commission rules: what Avito charges for one bought-out device, in integer kopecks.

A rule is either a percentage of the final buyout price kept between a minimum and a maximum,
or a fixed amount per device category. Each rule has the date it takes effect from; the rule in
force at a line's moment applies, so a rate change never rewrites a past week.

Rounding: the exact share (Decimal, never float) is rounded to whole kopecks half up — 0.5
kopeck becomes 1 — before the bounds apply. This is the Avito simulator's rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")
PERCENT = "percent"
FIXED = "fixed"


class RuleError(ValueError):
    """A commission rule that cannot be applied as written."""


@dataclass(frozen=True, slots=True)
class CommissionRule:
    valid_from: date  # Moscow calendar date from which the rule is in force
    kind: str = PERCENT
    percent: Decimal = Decimal("5")
    min_kopecks: int = 30_000
    max_kopecks: int = 500_000
    fixed_kopecks: Mapping[str, int] = field(default_factory=dict)  # category → amount

    def __post_init__(self) -> None:
        if self.kind not in (PERCENT, FIXED):
            raise RuleError(f"commission rule kind must be {PERCENT} or {FIXED}, not {self.kind}")
        if self.kind == PERCENT and not 0 <= self.min_kopecks <= self.max_kopecks:
            raise RuleError("commission bounds must satisfy 0 <= min <= max")
        if self.kind == PERCENT and self.percent < 0:
            raise RuleError("commission percent must not be negative")
        if self.kind == FIXED and any(amount < 0 for amount in self.fixed_kopecks.values()):
            raise RuleError("a fixed commission must not be negative")

    def commission(self, price_kopecks: int, category: str) -> int:
        if self.kind == FIXED:
            if category not in self.fixed_kopecks:
                raise RuleError(f"no fixed commission for device category {category!r}")
            return self.fixed_kopecks[category]
        return percent_commission(price_kopecks, self.percent, self.min_kopecks, self.max_kopecks)

    @property
    def label(self) -> str:
        """How the line's amount was computed, for the people who read the export."""
        if self.kind == FIXED:
            amounts = ", ".join(f"{cat} {kop}" for cat, kop in sorted(self.fixed_kopecks.items()))
            return f"fixed from {self.valid_from}: {amounts} kop."
        return (
            f"{self.percent}% from {self.valid_from}, "
            f"min {self.min_kopecks} max {self.max_kopecks} kop."
        )


def percent_commission(price_kopecks: int, percent: Decimal, low: int, high: int) -> int:
    share = (Decimal(price_kopecks) * percent / 100).quantize(Decimal(1), ROUND_HALF_UP)
    return min(max(int(share), low), high)


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Rules ordered by `valid_from`; the latest one that started by a moment is in force."""

    rules: Sequence[CommissionRule]

    @classmethod
    def of(cls, rules: Iterable[CommissionRule]) -> RuleBook:
        ordered = sorted(rules, key=lambda rule: rule.valid_from)
        if not ordered:
            raise RuleError("at least one commission rule is needed")
        dates = [rule.valid_from for rule in ordered]
        if len(set(dates)) != len(dates):
            raise RuleError("two commission rules take effect on the same date")
        return cls(tuple(ordered))

    def at(self, moment: datetime) -> CommissionRule:
        day = moment.astimezone(MOSCOW).date()
        in_force = [rule for rule in self.rules if rule.valid_from <= day]
        if not in_force:
            raise RuleError(f"no commission rule in force on {day}")
        return in_force[-1]

    def commission(self, moment: datetime, price_kopecks: int, category: str) -> int:
        return self.at(moment).commission(price_kopecks, category)
