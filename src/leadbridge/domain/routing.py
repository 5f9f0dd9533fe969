"""Who takes a new deal: the team of the request's city, and whose turn it is in that team.

A team's turn is one number, the count of deals it has given out; `round_robin` gives the deal
to the user at that position, so over any run of deals no user of a team has more than one
deal more than another — as long as the turn is kept (the store keeps it, under a lock, in the
transaction that records the choice). `least_open` gives it to the user with the fewest open
deals, ties going round in the same order, so equal loads still rotate. A city no team covers
goes to the fallback user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from leadbridge.domain.working_hours import AROUND_THE_CLOCK, WorkingHours

Strategy = Literal["round_robin", "least_open"]
DEFAULT_SLA = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a team works, and how long a new deal may wait for its first call."""

    hours: WorkingHours = AROUND_THE_CLOCK
    sla: timedelta = DEFAULT_SLA


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    cities: frozenset[str]  # case-folded
    users: tuple[int, ...]
    strategy: Strategy = "round_robin"
    schedule: Schedule = field(default_factory=Schedule)

    def __post_init__(self) -> None:
        if not self.users:
            raise ValueError(f"team {self.name!r} has no users")


@dataclass(frozen=True, slots=True)
class Routing:
    teams: tuple[Team, ...]
    fallback_user_id: int
    fallback_schedule: Schedule = field(default_factory=Schedule)

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for team in self.teams:
            for city in team.cities:
                if city in seen:
                    raise ValueError(f"city {city!r} is in teams {seen[city]!r} and {team.name!r}")
                seen[city] = team.name

    def team_for(self, city: str | None) -> Team | None:
        wanted = (city or "").strip().casefold()
        return next((team for team in self.teams if wanted in team.cities), None)

    def schedule_for(self, city: str | None) -> Schedule:
        team = self.team_for(city)
        return team.schedule if team else self.fallback_schedule

    def user_ids(self) -> set[int]:
        """Every user the routing may assign a deal to."""
        return {user for team in self.teams for user in team.users} | {self.fallback_user_id}


@dataclass(frozen=True, slots=True)
class Turn:
    user_id: int
    next_position: int


def next_turn(team: Team, position: int, open_deals: Mapping[int, int] | None = None) -> Turn:
    """The user whose turn it is at `position` (the count of deals the team gave out); with
    `least_open`, the first user from there with the fewest of `open_deals`."""
    users = team.users
    order = [(position + step) % len(users) for step in range(len(users))]
    if team.strategy == "least_open":
        counts = open_deals or {}
        order.sort(key=lambda index: counts.get(users[index], 0))  # stable: ties keep the turn
    chosen = order[0]
    # round_robin steps by one; least_open continues after the user it chose.
    step = 1 if team.strategy == "round_robin" else (chosen - position) % len(users) + 1
    return Turn(users[chosen], position + step)
