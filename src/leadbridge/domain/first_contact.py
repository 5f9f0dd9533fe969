"""Speed of first contact: from a request's creation on Avito to its deal's first entry into the
funnel's contact stage (`first_contact_stage`), per Moscow week, team and manager.

A deal moved straight past the contact stage counts as contacted when it first reached any
working stage after it (as the conversion statistics count a skipped stage as reached); the
lost stage is no contact. Percentiles are nearest-rank over the contacted deals of a group: p90
is the smallest wait that at least 90 % of them did not exceed, always one of the real waits.

A breach is a deal whose seller waited past the SLA deadline: contacted after it, or not
contacted and the deadline already gone by (at `now`, or when the deal was closed without
contact: a closed deal keeps nobody waiting any longer). A deal still waiting before its
deadline is neither a breach nor counted in the percentiles: it is `waiting`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from leadbridge.domain.funnel import Funnel
from leadbridge.domain.periods import Week

K = TypeVar("K", bound=Hashable)
T = TypeVar("T", timedelta, float, int)


@dataclass(frozen=True, slots=True)
class Contact:
    """One deal. `team` None: no team covers its city (or there is no `[routing]`); `manager`
    None: no responsible user was chosen (the token's user owns the deal)."""

    team: str | None
    manager: int | None
    created_at: datetime
    due_at: datetime
    contacted_at: datetime | None = None
    closed_at: datetime | None = None  # first entry into the lost stage, contact or not

    @property
    def week(self) -> Week:
        return Week.of(self.created_at)

    @property
    def wait(self) -> timedelta | None:
        """Creation to first contact; an amoCRM clock a little behind Avito's gives no negative
        wait."""
        if self.contacted_at is None:
            return None
        return max(self.contacted_at - self.created_at, timedelta(0))

    def breached(self, now: datetime) -> bool:
        if self.contacted_at is not None:
            return self.contacted_at > self.due_at
        stopped = now if self.closed_at is None else min(self.closed_at, now)
        return stopped > self.due_at

    def waiting(self, now: datetime) -> bool:
        """Open, not contacted, and its deadline still ahead."""
        return self.contacted_at is None and self.closed_at is None and now <= self.due_at


@dataclass(frozen=True, slots=True)
class Speed:
    deals: int
    contacted: int
    waiting: int
    breaches: int
    p50: timedelta | None  # None: no deal of the group was contacted
    p90: timedelta | None


@dataclass(frozen=True, slots=True)
class ManagerSpeed:
    week: Week
    team: str | None
    manager: int | None
    speed: Speed


@dataclass(frozen=True, slots=True)
class WeekSpeed:
    week: Week
    speed: Speed


def contact_stage_keys(funnel: Funnel) -> tuple[str, ...]:
    """The contact stage and every working stage after it, in the funnel's order."""
    working = [stage.key for stage in funnel.stages if not stage.lost]
    return tuple(working[working.index(funnel.first_contact_stage) :])


def lost_stage_keys(funnel: Funnel) -> tuple[str, ...]:
    return tuple(stage.key for stage in funnel.stages if stage.lost)


def nearest_rank(ordered: Sequence[T], percent: int) -> T:
    """The value at rank ⌈percent/100 · n⌉ (1-based) of `ordered` (sorted ascending, not
    empty); integer arithmetic, so p90 of ten values is exactly the ninth."""
    if not ordered or not 0 < percent <= 100:
        raise ValueError("nearest rank needs values and a percent in (0, 100]")
    rank = -(-percent * len(ordered) // 100)
    return ordered[rank - 1]


def speed_of(contacts: Iterable[Contact], now: datetime) -> Speed:
    group = list(contacts)
    waits = sorted(wait for c in group if (wait := c.wait) is not None)
    return Speed(
        deals=len(group),
        contacted=len(waits),
        waiting=sum(c.waiting(now) for c in group),
        breaches=sum(c.breached(now) for c in group),
        p50=nearest_rank(waits, 50) if waits else None,
        p90=nearest_rank(waits, 90) if waits else None,
    )


def grouped(
    contacts: Iterable[Contact], now: datetime, key: Callable[[Contact], K]
) -> dict[K, Speed]:
    groups: dict[K, list[Contact]] = {}
    for contact in contacts:
        groups.setdefault(key(contact), []).append(contact)
    return {group: speed_of(members, now) for group, members in groups.items()}


def per_manager(contacts: Iterable[Contact], now: datetime) -> list[ManagerSpeed]:
    """Newest week first; within a week by team (no team last), then manager."""
    speeds = grouped(contacts, now, lambda c: (c.week, c.team, c.manager))
    rows = [ManagerSpeed(w, team, manager, s) for (w, team, manager), s in speeds.items()]
    rows.sort(key=lambda r: (r.manager is None, r.manager or 0))
    rows.sort(key=lambda r: (r.team is None, r.team or ""))
    rows.sort(key=lambda r: r.week, reverse=True)
    return rows


def per_week(contacts: Iterable[Contact], now: datetime) -> list[WeekSpeed]:
    """Every team and manager together, oldest week first."""
    speeds = grouped(contacts, now, lambda c: c.week)
    return [WeekSpeed(week, speeds[week]) for week in sorted(speeds)]
