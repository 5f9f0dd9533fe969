"""Conversion statistics: typed results and the arithmetic on counts the database aggregated.

A lead's progress is the furthest working stage it reached (by the funnel's order), so a deal a
manager moved past stages still counts for the stages it skipped, and a lost deal counts for the
stages it reached before it was lost. Rates are Decimal percentages, money integer kopecks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from leadbridge.domain.funnel import Funnel
from leadbridge.domain.periods import FIRST_YEAR, LAST_YEAR, Week

NO_DEAL = -1  # the progress of a request that has no deal yet
PERCENT = Decimal("0.1")
SECOND = Decimal(1)


@dataclass(frozen=True, slots=True)
class StageReach:
    stage_key: str
    name: str
    reached: int
    rate: Decimal  # percent of all requests
    from_previous: Decimal  # percent of those that reached the stage before


@dataclass(frozen=True, slots=True)
class GroupConversion:
    """One city, device model or week: requests, how many were bought out, how many lost."""

    key: str
    leads: int
    bought_out: int
    lost: int

    @property
    def rate(self) -> Decimal:
        return percent(self.bought_out, self.leads)


@dataclass(frozen=True, slots=True)
class StageTime:
    stage_key: str
    name: str
    exits: int  # how many times a deal left the stage
    mean_hours: Decimal
    # The dashboard picks its unit by size: a tenth of an hour hid stages of seconds («0.0 ч»).
    mean_seconds: Decimal


@dataclass(frozen=True, slots=True)
class PriceComparison:
    """What was paid against what sellers asked, over bought-out deals with an asking price."""

    deals: int
    paid_kopecks: int
    asked_kopecks: int
    below_asking: int
    above_asking: int

    @property
    def paid_to_asked(self) -> Decimal:
        return percent(self.paid_kopecks, self.asked_kopecks)

    @property
    def mean_difference_kopecks(self) -> int:
        """Mean of paid − asked, rounded toward zero; negative: bought below asking."""
        if not self.deals:
            return 0
        return int((self.paid_kopecks - self.asked_kopecks) / self.deals)


@dataclass(frozen=True, slots=True)
class LossReasonCount:
    reason: str
    leads: int
    share: Decimal


@dataclass(frozen=True, slots=True)
class Statistics:
    week: str | None  # ISO week of the requests' creation, or None for all
    leads: int
    stages: tuple[StageReach, ...]
    cities: tuple[GroupConversion, ...]
    models: tuple[GroupConversion, ...]
    weeks: tuple[GroupConversion, ...]
    stage_times: tuple[StageTime, ...]
    prices: PriceComparison
    loss_reasons: tuple[LossReasonCount, ...]


def percent(part: int, whole: int) -> Decimal:
    if whole == 0:
        return Decimal(0).quantize(PERCENT)
    return (Decimal(part) * 100 / whole).quantize(PERCENT)


def stage_positions(funnel: Funnel) -> dict[str, int]:
    """Working stages by their order in the funnel; the lost stage has no position."""
    working = [stage.key for stage in funnel.stages if not stage.lost]
    return {key: index for index, key in enumerate(working)}


def bought_out_position(funnel: Funnel) -> int:
    """The first stage whose status is the one Avito charges commission for."""
    for key, position in stage_positions(funnel).items():
        if funnel.implied_status(key) == funnel.commission_status:
            return position
    return len(stage_positions(funnel))


def stage_reach(funnel: Funnel, by_furthest: Mapping[int, int]) -> tuple[StageReach, ...]:
    """From "how many leads got at most to position p" to "how many reached each stage"."""
    total = sum(by_furthest.values())
    positions = stage_positions(funnel)
    reach: list[StageReach] = []
    previous = total
    for key, position in positions.items():
        reached = sum(n for furthest, n in by_furthest.items() if furthest >= position)
        name = funnel.stage(key).name
        reach.append(
            StageReach(key, name, reached, percent(reached, total), percent(reached, previous))
        )
        previous = reached
    return tuple(reach)


def stage_times(funnel: Funnel, rows: Sequence[tuple[str, int, float]]) -> tuple[StageTime, ...]:
    """(stage, exits, total seconds) rows, in the funnel's order."""
    by_stage = {stage: (exits, seconds) for stage, exits, seconds in rows}
    times = []
    for stage in funnel.stages:
        if stage.key in by_stage:
            exits, seconds = by_stage[stage.key]
            mean = Decimal(str(seconds)) / max(exits, 1)
            hours = (mean / 3600).quantize(PERCENT)
            times.append(StageTime(stage.key, stage.name, exits, hours, mean.quantize(SECOND)))
    return tuple(times)


def loss_reasons(rows: Sequence[tuple[str | None, int]]) -> tuple[LossReasonCount, ...]:
    total = sum(count for _, count in rows)
    ordered = sorted(rows, key=lambda row: (-row[1], row[0] or ""))
    return tuple(
        LossReasonCount(reason or "Не указана", count, percent(count, total))
        for reason, count in ordered
    )


def iso_week_range(week: str) -> tuple[datetime, datetime]:
    """'2026-W18' → [Monday 00:00, next Monday 00:00) of the business time zone, as UTC: the
    settlement's week (`periods.Week`), so charts and settlements cut weeks at one moment.
    ValueError for anything else."""
    try:
        year, number = week.split("-W")
        if not FIRST_YEAR <= int(year) <= LAST_YEAR:
            raise ValueError(f"the year must be {FIRST_YEAR}–{LAST_YEAR}")
        monday = date.fromisocalendar(int(year), int(number), 1)
    except ValueError as error:
        raise ValueError(f"not an ISO week like 2026-W18: {week!r}") from error
    chosen = Week(monday)
    return chosen.starts_at, chosen.ends_at


def iso_week_of(monday: date) -> str:
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"
