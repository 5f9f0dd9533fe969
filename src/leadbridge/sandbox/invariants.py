"""The end-to-end promises of leadbridge, checked against both simulators' state dumps.

Pure: it reads the two JSON dumps (`GET /sandbox/state`; amoCRM's through `sandbox/crm_view.py`)
and the funnel, replays each deal's stage changes through the same `plan_statuses` the bridge
uses, and says which promise broke where.

A lead the seller withdrew on Avito owes no more statuses: Avito refuses every one after the
withdrawal and the bridge settles them as skipped (store/seller_changes.py). Such a lead is kept
out of the expected statuses, and a status Avito refused because of the withdrawal is no
forbidden attempt; it must still have its one deal, and what was applied before must be in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadbridge.domain.funnel import Funnel
from leadbridge.domain.status_path import plan_statuses
from leadbridge.sandbox.crm_view import CrmView, Json, crm_view

MAX_VIOLATIONS = 20
INVARIANTS = (
    "one_deal_per_request",
    "statuses_in_chain_order",
    "final_status_matches_stage",
    "nothing_lost",
    "rate_limits_respected",
)


@dataclass
class Check:
    checked: int = 0
    failed: int = 0
    violations: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.failed += 1
        if len(self.violations) < MAX_VIOLATIONS:
            self.violations.append(message)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.failed == 0, "checked": self.checked, "violations": self.violations}


def check_invariants(
    *,
    avito_state: Mapping[str, Any],
    amocrm_state: Mapping[str, Any],
    funnel: Funnel,
    avito_names: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """`avito_names` turns Avito's status names into the funnel's, when Avito renamed one (the
    mapping's `[statuses]`, `StatusNames.ours`)."""
    view = crm_view(amocrm_state, funnel)
    avito_leads = list(avito_state.get("leads", []))
    if avito_names is not None:
        avito_leads = [_in_our_terms(lead, avito_names) for lead in avito_leads]
    checks = {
        "one_deal_per_request": _one_deal_per_request(avito_leads, view),
        "statuses_in_chain_order": _statuses_in_chain_order(avito_leads, funnel),
        "final_status_matches_stage": _final_status_matches_stage(avito_leads, view, funnel),
        "nothing_lost": _nothing_lost(avito_leads, view, funnel),
        "rate_limits_respected": _rate_limits_respected(avito_state, amocrm_state),
    }
    results = {name: check.to_json() for name, check in checks.items()}
    return {"ok": all(result["ok"] for result in results.values()), "invariants": results}


def _in_our_terms(lead: Json, avito_names: Callable[[str], str]) -> Json:
    def named(entry: Json) -> Json:
        status = entry.get("status")
        return {**entry, "status": avito_names(status)} if isinstance(status, str) else entry

    return {**named(lead), "history": [named(entry) for entry in lead.get("history", [])]}


def summarize(result: Mapping[str, Any]) -> str:
    parts = []
    for name, outcome in result["invariants"].items():
        mark = "ok" if outcome["ok"] else f"FAILED ({len(outcome['violations'])}+)"
        parts.append(f"{name}: {mark} [{outcome['checked']}]")
    verdict = "все инварианты соблюдены" if result["ok"] else "нарушены инварианты"
    return f"{verdict}: " + "; ".join(parts)


def expected_statuses(deal: Json, view: CrmView, funnel: Funnel) -> list[str]:
    """What the bridge must have sent for this deal: its creation, then each logged change."""
    events = view.events_by_deal.get(int(deal["id"]), [])
    creation = view.creation_stage(deal, events) or funnel.first_stage.key
    price = int(deal.get("price") or 0) * 100
    plan = plan_statuses(funnel, last_status=None, stage_key=creation, price_kopecks=price)
    sent = [planned.status for planned in plan.to_send]
    reason = view.loss_reasons.get(int(deal.get("loss_reason_id") or 0))
    for event in events:
        stage = view.stage_after(event)
        if stage is None:
            continue
        plan = plan_statuses(
            funnel,
            last_status=sent[-1] if sent else None,
            stage_key=stage,
            price_kopecks=price,
            loss_reason=reason if funnel.stage(stage).lost else None,
        )
        sent += [planned.status for planned in plan.to_send]
    return sent


def _one_deal_per_request(avito_leads: Sequence[Json], view: CrmView) -> Check:
    check = Check(checked=len(avito_leads))
    known = {str(lead["id"]) for lead in avito_leads}
    for lead_id in sorted(known):
        count = len(view.deals_by_avito_id.get(lead_id, []))
        if count != 1:
            check.fail(f"lead {lead_id}: {count} deals")
    for lead_id in sorted(set(view.deals_by_avito_id) - known):
        check.fail(f"deals {_ids(view.deals_by_avito_id[lead_id])}: unknown Avito lead {lead_id}")
    for deal_id in view.deals_without_id:
        check.fail(f"deal {deal_id}: no Avito lead id")
    return check


def _statuses_in_chain_order(avito_leads: Sequence[Json], funnel: Funnel) -> Check:
    check = Check(checked=len(avito_leads))
    for lead in avito_leads:
        history = [entry["status"] for entry in _partner_history(lead)]
        problem = _chain_problem(history, funnel)
        if problem:
            check.fail(f"lead {lead['id']}: {problem} in {'>'.join(history)}")
        for attempt in lead.get("forbidden", []):
            if _refused_as_withdrawn(lead, attempt):
                continue
            tried = f"{attempt.get('currentStatus')}>{attempt.get('status')}"
            check.fail(f"lead {lead['id']}: forbidden {tried} attempted")
    return check


def _chain_problem(history: Sequence[str], funnel: Funnel) -> str | None:
    """A valid history is a prefix of the chain, then at most one closing status."""
    chain, statuses = funnel.statuses.chain, funnel.statuses
    reached = 0
    for index, status in enumerate(history):
        if index > 0 and history[index - 1] in statuses.terminal:
            return f"{status} after {history[index - 1]}"
        if status == statuses.returned:
            if index == 0 or history[index - 1] != funnel.commission_status:
                return f"{status} before {funnel.commission_status}"
        elif status in statuses.terminal:
            if index == 0 or history[index - 1] == funnel.commission_status:
                return f"{status} at the wrong place"
        elif reached >= len(chain) or status != chain[reached]:
            return f"{status} out of order"
        else:
            reached += 1
    return None


def _final_status_matches_stage(
    avito_leads: Sequence[Json], view: CrmView, funnel: Funnel
) -> Check:
    check = Check()
    for lead in avito_leads:
        deals = view.deals_by_avito_id.get(str(lead["id"]), [])
        if not deals or lead.get("withdrawn"):
            continue
        check.checked += 1
        sent = expected_statuses(deals[0], view, funnel)
        expected = sent[-1] if sent else None
        actual = _final_status(lead)
        if actual != expected:
            check.fail(f"lead {lead['id']} (deal {deals[0]['id']}): {actual}, expected {expected}")
    return check


def _nothing_lost(avito_leads: Sequence[Json], view: CrmView, funnel: Funnel) -> Check:
    check = Check(checked=len(avito_leads))
    for lead in avito_leads:
        deals = view.deals_by_avito_id.get(str(lead["id"]), [])
        if not deals:
            check.fail(f"lead {lead['id']}: never reached amoCRM")
            continue
        if lead.get("withdrawn"):
            continue  # what the deal did after the withdrawal is no status Avito owes us
        acknowledged = {entry["status"] for entry in lead.get("history", [])}
        missing = [s for s in expected_statuses(deals[0], view, funnel) if s not in acknowledged]
        if missing:
            check.fail(f"lead {lead['id']}: Avito never acknowledged {', '.join(missing)}")
    return check


def _rate_limits_respected(
    avito_state: Mapping[str, Any], amocrm_state: Mapping[str, Any]
) -> Check:
    check = Check(checked=2)
    avito_limited = avito_state.get("stats", {}).get("rate_limited", {})
    for method, count in sorted(avito_limited.items()):
        if count:
            check.fail(f"avito {method}: {count} × 429")
    amocrm_limited = _integration_429s(amocrm_state.get("stats", {}))
    if amocrm_limited:
        check.fail(f"amocrm integration: {amocrm_limited} × 429")
    return check


def _integration_429s(stats: Mapping[str, Any]) -> int:
    """Only the integration is throttled; a manager's browser session never counts."""
    by_kind = stats.get("rate_limited_by_token_kind")
    if isinstance(by_kind, Mapping):
        return sum(int(n) for kind, n in by_kind.items() if kind != "person")
    return int(stats.get("rate_limited_total") or 0)


def _final_status(lead: Json) -> str | None:
    history = _partner_history(lead)
    return str(history[-1]["status"]) if history else lead.get("status")


def _partner_history(lead: Json) -> list[Json]:
    """The statuses the bridge set: an optional status Avito sets on its own (keyed `avito:`,
    after a schema change) is not the bridge's to order or to send."""
    return [
        entry
        for entry in lead.get("history") or []
        if not str(entry.get("idempotencyKey", "")).startswith("avito:")
    ]


def _refused_as_withdrawn(lead: Json, attempt: Json) -> bool:
    """Avito refused the status because the seller had withdrawn the lead: its status then is
    the cancellation Avito set itself (the last entry of its history, keyed `avito:`)."""
    if not lead.get("withdrawn"):
        return False
    own = [
        e
        for e in lead.get("history") or []
        if str(e.get("idempotencyKey", "")).startswith("avito:")
    ]
    return bool(own) and attempt.get("currentStatus") == own[-1].get("status")


def _ids(deals: Iterable[Json]) -> str:
    return ",".join(str(deal["id"]) for deal in deals)
