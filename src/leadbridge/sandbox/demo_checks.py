"""The demo's checks of the managers' day (issue 13), beside the status invariants:

- routing: every deal is owned by a manager of its city's team, or by the fallback user when no
  team covers the city;
- tasks: every deal has exactly one first-call task «Связаться с продавцом»;
- withdrawals: no status of a lead the seller withdrew is parked;
- the speed of first contact (p90), reported, not judged: the demo's clock is scaled.

The routing and task checks are pure, over the simulators' state dumps; the withdrawals and the
speed are what the bridge's database says, read while the bridge still runs (`bridge_facts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadbridge.amocrm.tasks import FIRST_CALL_TEXT
from leadbridge.config import Settings
from leadbridge.domain import first_contact as speed
from leadbridge.domain.funnel import Funnel
from leadbridge.domain.routing import Routing
from leadbridge.sandbox.avito import AvitoSandbox
from leadbridge.sandbox.crm_view import Json, crm_view
from leadbridge.sandbox.invariants import Check
from leadbridge.store import lead_tasks, seller_changes
from leadbridge.store.database import Database
from leadbridge.sync.routing import routing_of
from leadbridge.sync.stats_command import load_first_contact


@dataclass(frozen=True, slots=True)
class BridgeFacts:
    withdrawn: dict[str, int]  # store/seller_changes.py `withdrawn_summary`
    first_contact_p90_s: float | None  # None: no deal was contacted


async def bridge_facts(db: Database, settings: Settings) -> BridgeFacts:
    withdrawn = await seller_changes.withdrawn_summary(db)
    contacts = await load_first_contact(db, settings, None, None)
    p90 = speed.speed_of(contacts, datetime.now(UTC)).p90
    return BridgeFacts(withdrawn, None if p90 is None else round(p90.total_seconds(), 1))


async def caught_up(db: Database, avito: AvitoSandbox) -> bool:
    """The bridge has done its part of the managers' day too: every deal's task is in amoCRM,
    and every withdrawal Avito made is known and carried to its deal. The demo waits for this
    before it checks, as it waits for the statuses."""
    async with db.transaction() as session:
        if await lead_tasks.waiting(session, 1) or await seller_changes.pending(session, 1):
            return False
    withdrawn = await seller_changes.withdrawn_summary(db)
    made = int(avito.state_json()["stats"]["withdrawn_total"])
    return withdrawn["leads"] >= made and withdrawn["settled"] == withdrawn["leads"]


def with_demo_checks(
    result: dict[str, Any],
    facts: BridgeFacts,
    settings: Settings,
    *,
    avito_state: Mapping[str, Any],
    amocrm_state: Mapping[str, Any],
) -> dict[str, Any]:
    """`result` of `check_invariants` with the checks above: their counts as top-level keys,
    their violations among the invariants, and `ok` false if any failed."""
    routed, routing = check_routing(
        avito_state, amocrm_state, settings.funnel, routing_of(settings)
    )
    tasked, tasks = check_tasks(amocrm_state, settings.funnel)
    withdrawn = check_withdrawn(facts.withdrawn)
    checks = {
        "deals_routed_to_their_team": routing,
        "one_first_call_task_per_deal": tasks,
        "withdrawn_never_parked": withdrawn,
    }
    invariants = {**result["invariants"], **{name: c.to_json() for name, c in checks.items()}}
    return {
        **result,
        "ok": bool(result["ok"]) and all(c.failed == 0 for c in checks.values()),
        "invariants": invariants,
        "routing": routed,
        "tasks": tasked,
        "withdrawn": facts.withdrawn,
        "first_contact_p90_s": facts.first_contact_p90_s,
    }


def check_routing(
    avito_state: Mapping[str, Any],
    amocrm_state: Mapping[str, Any],
    funnel: Funnel,
    routing: Routing | None,
) -> tuple[dict[str, int], Check]:
    """Each deal's owner against the team covering its request's city on Avito. Without
    `[routing]` there is nothing to hold the owners to: every deal is counted, none checked."""
    view = crm_view(amocrm_state, funnel)
    cities = {str(lead["id"]): _city(lead) for lead in avito_state.get("leads", [])}
    counts = {"deals": 0, "in_own_team": 0, "fallback": 0}
    check = Check()
    for avito_id, deals in sorted(view.deals_by_avito_id.items()):
        for deal in deals:
            counts["deals"] += 1
            if routing is None:
                continue
            check.checked += 1
            owner, team = deal.get("responsible_user_id"), routing.team_for(cities.get(avito_id))
            if team is not None and owner in team.users:
                counts["in_own_team"] += 1
            elif team is None and owner == routing.fallback_user_id:
                counts["fallback"] += 1
            else:
                wanted = f"team {team.name}" if team else f"fallback {routing.fallback_user_id}"
                check.fail(f"deal {deal['id']} ({cities.get(avito_id)}): owner {owner}, {wanted}")
    return counts, check


def check_tasks(amocrm_state: Mapping[str, Any], funnel: Funnel) -> tuple[dict[str, int], Check]:
    """Each deal of our pipeline and its first-call tasks, open or done: one, never none or two."""
    view = crm_view(amocrm_state, funnel)
    per_deal = Counter(
        int(task["entity_id"])
        for task in amocrm_state.get("tasks", [])
        if task.get("entity_type") == "leads" and task.get("text") == FIRST_CALL_TEXT
    )
    deal_ids = sorted(int(d["id"]) for deals in view.deals_by_avito_id.values() for d in deals)
    check = Check(checked=len(deal_ids))
    for deal_id in deal_ids:
        if per_deal[deal_id] != 1:
            check.fail(f"deal {deal_id}: {per_deal[deal_id]} tasks «{FIRST_CALL_TEXT}»")
    with_one = sum(per_deal[deal_id] == 1 for deal_id in deal_ids)
    return {"deals": len(deal_ids), "with_one_task": with_one}, check


def check_withdrawn(summary: Mapping[str, int]) -> Check:
    check = Check(checked=int(summary.get("leads", 0)))
    parked = int(summary.get("parked", 0))
    if parked:
        check.fail(f"{parked} withdrawn leads with a parked status")
    return check


def _city(lead: Json) -> str | None:
    location = (lead.get("payload") or {}).get("location")
    city = location.get("city") if isinstance(location, Mapping) else None
    return str(city) if city else None
