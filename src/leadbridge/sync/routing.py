"""Routing at run time: who takes each new deal, chosen inside the transaction that marks the
leads attempted, so that the choice, the team's moved turn and the attempt commit together.

A lead keeps the user it was given: a retry after a crash sends the deal to the same person.
Without `[routing]` nobody is chosen and amoCRM gives the deal to the token's user, as before.
`check_users` is setup's and start's refusal of a routing that names a user amoCRM does not
have or has deactivated: amoCRM would refuse every deal of that user's team.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.amocrm.api import AmoApi
from leadbridge.config import ConfigurationError, Settings
from leadbridge.domain.routing import Routing, Schedule, Team, next_turn
from leadbridge.store import leads
from leadbridge.store import routing as turns


@dataclass(frozen=True, slots=True)
class Arrival:
    lead_id: int
    city: str | None


class Router:
    def __init__(self, routing: Routing | None, closed_statuses: Collection[str]) -> None:
        self._routing = routing
        self._closed = frozenset(closed_statuses)

    def schedule_for(self, city: str | None) -> Schedule:
        """The working hours and SLA of the lead's team; around the clock without routing."""
        return self._routing.schedule_for(city) if self._routing else Schedule()

    async def assign(self, session: AsyncSession, arrivals: Sequence[Arrival]) -> dict[int, int]:
        """lead id → user, recorded on the leads; empty without routing. Call inside the
        transaction that marks these leads attempted."""
        routing = self._routing
        if routing is None or not arrivals:
            return {}
        owners: dict[int, int] = {}
        by_team: dict[str, tuple[Team, list[int]]] = {}
        for arrival in arrivals:
            team = routing.team_for(arrival.city)
            if team is None:
                owners[arrival.lead_id] = routing.fallback_user_id
            else:
                by_team.setdefault(team.name, (team, []))[1].append(arrival.lead_id)
        positions = await turns.lock_positions(session, by_team.keys())
        for name, (team, lead_ids) in by_team.items():
            given, positions[name] = await self._take_turns(
                session, team, positions[name], lead_ids
            )
            owners.update(given)
        await turns.save_positions(session, positions)
        await leads.set_responsible(session, owners)
        return owners

    async def _take_turns(
        self, session: AsyncSession, team: Team, position: int, lead_ids: Sequence[int]
    ) -> tuple[dict[int, int], int]:
        """lead id → user for one team's leads, and the team's position after them."""
        counts: dict[int, int] = {}
        if team.strategy == "least_open":
            counts = await leads.open_deals(session, team.users, self._closed)
        owners: dict[int, int] = {}
        for lead_id in lead_ids:
            turn = next_turn(team, position, counts)
            owners[lead_id], position = turn.user_id, turn.next_position
            counts[turn.user_id] = counts.get(turn.user_id, 0) + 1
        return owners, position


def routing_of(settings: Settings) -> Routing | None:
    return settings.routing.routing() if settings.routing else None


async def check_users(routing: Routing | None, api: AmoApi) -> None:
    """A ConfigurationError naming the first routed user amoCRM lacks or has deactivated."""
    if routing is None:
        return
    active = {user.id: user.is_active for user in await api.users()}
    for user_id in sorted(routing.user_ids()):
        if user_id not in active:
            raise ConfigurationError(f"routing names amoCRM user {user_id}, who does not exist")
        if not active[user_id]:
            raise ConfigurationError(
                f"routing names amoCRM user {user_id}, who is deactivated: amoCRM refuses "
                "to make them responsible"
            )
