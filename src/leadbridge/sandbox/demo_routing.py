"""The demo's `[routing]`: one team per city group of the amoCRM simulator, its active managers,
and a fallback user for the cities no team covers; and each manager's browser session.

Built from the simulator's users rather than written out, so that the demo routes to the users
the account really has: a deactivated manager is left out, as an operator would leave him out
(`leadbridge setup` refuses a configuration naming one).
"""

from __future__ import annotations

from leadbridge.config.routing import RoutingSettings
from leadbridge.sandbox.amocrm import AmoSandbox

# Every city in Moscow time but Yekaterinburg (UTC+5): the schedules differ as in a real chain.
TIME_ZONES = {"Екатеринбург": "Asia/Yekaterinburg"}
# The demo's managers work around the clock, so its SLA counts every minute whenever it runs.
ALL_DAY = {"hours": "00:00-24:00", "sla_minutes": 15}
# Moscow, the busiest city, balances open deals; the others take turns.
LEAST_OPEN_TEAMS = frozenset({"Москва"})


def team_members(sandbox: AmoSandbox) -> dict[str, list[int]]:
    """City (the user group's name) → its active managers' ids, in the account's order."""
    members: dict[str, list[int]] = {name: [] for name in sandbox.users.groups.values()}
    for user_id, user in sandbox.users.users.items():
        rights = user["rights"]
        group = rights["group_id"]
        if group is not None and rights["is_active"]:
            members[sandbox.users.groups[group]].append(user_id)
    return {city: users for city, users in members.items() if users}


def demo_routing(sandbox: AmoSandbox) -> RoutingSettings:
    """Each city group a team of its own; the first Moscow manager also takes the rest of
    Russia (a head-office manager, not the integration's user: that is what routing ends)."""
    teams = [
        {
            "name": city,
            "cities": [city],
            "users": users,
            "strategy": "least_open" if city in LEAST_OPEN_TEAMS else "round_robin",
            "time_zone": TIME_ZONES.get(city, "Europe/Moscow"),
            **ALL_DAY,
        }
        for city, users in team_members(sandbox).items()
    ]
    fallback = team_members(sandbox)["Москва"][0]
    return RoutingSettings.model_validate({"teams": teams, "fallback_user_id": fallback, **ALL_DAY})


def manager_tokens(sandbox: AmoSandbox) -> dict[int, str]:
    """A browser session per manager who may own a deal: each acts as himself in amoCRM."""
    routing = demo_routing(sandbox)
    users = {user for team in routing.teams for user in team.users}
    return {user: sandbox.issue_person_token(user) for user in users | {routing.fallback_user_id}}
