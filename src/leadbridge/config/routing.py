"""`[routing]` of the settings: city teams, their working hours and SLA, the fallback user.

Read into the pure `domain.routing.Routing`; anything that cannot be read (a bad zone, hours
crossing midnight, a city in two teams) fails when the settings are read, naming the setting.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadbridge.domain.routing import Routing, Schedule, Strategy, Team
from leadbridge.domain.working_hours import WorkingHours


class ScheduleSettings(BaseModel):
    """When a team (or the fallback user) works, and how long a new deal may wait for its
    first call: the SLA counts working minutes only (`domain/working_hours.py`)."""

    model_config = ConfigDict(extra="forbid")

    time_zone: str = Field("Europe/Moscow", description="IANA name, e.g. Asia/Yekaterinburg")
    hours: str = Field("09:00-20:00", description='local "HH:MM-HH:MM"; "00:00-24:00" all day')
    days: list[str] | None = Field(None, description="mon … sun; unset: every day")
    sla_minutes: int = Field(15, ge=1, description="working minutes until the call is due")

    def schedule(self) -> Schedule:
        hours = WorkingHours.parse(self.time_zone, self.hours, self.days)
        return Schedule(hours, timedelta(minutes=self.sla_minutes))

    @model_validator(mode="after")
    def _readable(self) -> ScheduleSettings:
        self.schedule()  # a bad zone, hours or day fails here, naming the setting
        return self


class TeamSettings(ScheduleSettings):
    """A city team: the managers who take the deals of its cities (Avito's city names)."""

    name: str
    cities: list[str]
    users: list[int] = Field(min_length=1, description="amoCRM user ids")
    strategy: Strategy = Field("round_robin", description="round_robin or least_open")


class RoutingSettings(ScheduleSettings):
    """`[routing]`: who is made responsible for a new deal. Its own schedule is the fallback
    user's. Without the section the token's user owns every deal."""

    teams: list[TeamSettings] = Field(default_factory=list)
    fallback_user_id: int = Field(description="takes a city no team covers")

    def routing(self) -> Routing:
        teams = tuple(
            Team(
                name=team.name,
                cities=frozenset(city.strip().casefold() for city in team.cities),
                users=tuple(team.users),
                strategy=team.strategy,
                schedule=team.schedule(),
            )
            for team in self.teams
        )
        return Routing(teams, self.fallback_user_id, self.schedule())

    @model_validator(mode="after")
    def _routable(self) -> RoutingSettings:
        self.routing()  # a city in two teams fails here
        return self
