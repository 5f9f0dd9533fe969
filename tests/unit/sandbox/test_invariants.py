from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pytest

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.sandbox.invariants import check_invariants, summarize

FUNNEL = load_funnel(DEFAULT_FUNNEL)
PIPELINE_ID = 7001
STATUS_IDS = {stage.key: 500 + i for i, stage in enumerate(FUNNEL.working_stages)}
STATUS_IDS |= {"won": 142, "lost": 143}
REASON_IDS = {reason.name: 900 + i for i, reason in enumerate(FUNNEL.loss_reasons)}
WON_PATH = [
    "new", "taken", "contacted", "negotiation", "price_agreed", "pickup_scheduled", "in_transit",
    "received", "inspection", "bought_out", "refurbishing", "listed", "sold", "won",
]  # fmt: skip
FULL_CHAIN = list(FUNNEL.statuses.chain)


@dataclass
class World:
    """Both simulators' dumps, built deal by deal the way a clean run leaves them."""

    deals: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    avito_leads: list[dict[str, Any]] = field(default_factory=list)
    avito_stats: dict[str, Any] = field(
        default_factory=lambda: {"requests": {"apply": 40}, "rate_limited": {}}
    )
    amo_stats: dict[str, Any] = field(default_factory=lambda: {"rate_limited_total": 0})

    def deal(
        self, avito_id: str | None, stages: list[str], *, reason: str | None = None
    ) -> dict[str, Any]:
        deal_id = 100 + len(self.deals)
        for before, after in pairwise(stages):
            self._event(deal_id, before, after)
        fields = [] if avito_id is None else [_avito_field(avito_id)]
        deal = {
            "id": deal_id,
            "pipeline_id": PIPELINE_ID,
            "status_id": STATUS_IDS[stages[-1]],
            "price": 30_000,
            "loss_reason_id": REASON_IDS[reason] if reason else None,
            "custom_fields_values": fields,
        }
        self.deals.append(deal)
        return deal

    def avito(self, avito_id: str, history: list[str], **extra: Any) -> dict[str, Any]:
        lead = {
            "id": avito_id,
            "payload": {"id": avito_id},
            "status": history[-1] if history else None,
            "history": [_entry(status, n) for n, status in enumerate(history)],
            "forbidden": [],
            **extra,
        }
        self.avito_leads.append(lead)
        return lead

    def check(self) -> dict[str, Any]:
        return check_invariants(
            avito_state={
                "leads": self.avito_leads,
                "feed_size": len(self.avito_leads),
                "stats": self.avito_stats,
            },
            amocrm_state={
                "pipelines": [_pipeline()],
                "loss_reasons": [{"id": i, "name": name} for name, i in REASON_IDS.items()],
                "leads": self.deals,
                "events": self.events,
                "stats": self.amo_stats,
            },
            funnel=FUNNEL,
        )

    def _event(self, deal_id: int, before: str, after: str) -> None:
        self.events.append(
            {
                "id": f"ev{len(self.events):05d}",
                "type": "lead_status_changed",
                "entity_type": "lead",
                "entity_id": deal_id,
                "created_at": 1_770_000_000,
                "value_before": [{"lead_status": _status(before)}],
                "value_after": [{"lead_status": _status(after)}],
            }
        )


def _status(key: str) -> dict[str, int]:
    return {"id": STATUS_IDS[key], "pipeline_id": PIPELINE_ID}


def _avito_field(avito_id: str) -> dict[str, Any]:
    return {
        "field_id": 301,
        "field_name": "ID заявки Авито",
        "field_code": "AVITO_LEAD_ID",
        "values": [{"value": avito_id}],
    }


def _entry(status: str, n: int) -> dict[str, Any]:
    return {
        "status": status,
        "occurredAt": f"2026-05-04T07:{n:02d}:00Z",
        "appliedAt": f"2026-05-04T07:{n:02d}:01Z",
        "idempotencyKey": f"k{n}",
    }


def _pipeline() -> dict[str, Any]:
    names = {stage.key: stage.name for stage in FUNNEL.stages}
    statuses = [{"id": i, "name": names[key]} for key, i in STATUS_IDS.items()]
    statuses.append({"id": 499, "name": "Неразобранное"})
    return {"id": PIPELINE_ID, "name": FUNNEL.name, "_embedded": {"statuses": statuses}}


def clean_world() -> World:
    world = World()
    world.deal("a-won", [s for s in WON_PATH if s not in ("contacted", "negotiation")])
    world.avito("a-won", FULL_CHAIN)
    lost = ["new", "taken", "contacted", "negotiation", "lost"]
    world.deal("a-price", lost, reason="Не сошлись в цене")
    world.avito("a-price", ["accepted", "contacted", "rejected"])
    world.deal("a-return", [*WON_PATH[:11], "lost"], reason="Возврат продавцу после выкупа")
    world.avito("a-return", [*FULL_CHAIN, "returned"])
    world.deal("a-back", ["new", "taken", "contacted", "taken", "contacted", "negotiation"])
    world.avito("a-back", ["accepted", "contacted"])
    world.deal("a-fresh", ["new"])
    world.avito("a-fresh", ["accepted"])
    return world


def failing(result: dict[str, Any]) -> set[str]:
    return {name for name, outcome in result["invariants"].items() if not outcome["ok"]}


def test_a_clean_run_holds_every_invariant() -> None:
    result = clean_world().check()

    assert result["ok"] is True, result
    assert result["invariants"]["one_deal_per_request"]["checked"] == 5
    assert result["invariants"]["final_status_matches_stage"]["checked"] == 5
    assert result["invariants"]["rate_limits_respected"]["checked"] == 2


def test_two_deals_for_one_request_and_a_deal_without_id_are_caught() -> None:
    world = clean_world()
    world.deal("a-fresh", ["new"])
    world.deal(None, ["new"])

    result = world.check()

    assert failing(result) == {"one_deal_per_request"}
    violations = result["invariants"]["one_deal_per_request"]["violations"]
    assert "lead a-fresh: 2 deals" in violations
    assert any("no Avito lead id" in v for v in violations)


def test_a_request_that_never_became_a_deal_is_lost() -> None:
    world = clean_world()
    world.avito("a-orphan", [])

    result = world.check()

    assert failing(result) == {"one_deal_per_request", "nothing_lost"}
    assert result["invariants"]["nothing_lost"]["violations"] == [
        "lead a-orphan: never reached amoCRM"
    ]


def test_a_status_avito_never_acknowledged_is_lost_and_the_final_status_differs() -> None:
    world = clean_world()
    world.deal("a-late", ["new", "taken", "contacted", "negotiation", "price_agreed"])
    world.avito("a-late", ["accepted", "contacted"])

    result = world.check()

    assert failing(result) == {"nothing_lost", "final_status_matches_stage"}
    assert "price_agreed" in result["invariants"]["nothing_lost"]["violations"][0]
    assert result["invariants"]["final_status_matches_stage"]["violations"] == [
        "lead a-late (deal 105): contacted, expected price_agreed"
    ]


def test_a_status_beyond_the_deals_stage_is_a_final_status_mismatch() -> None:
    world = clean_world()
    world.deal("a-ahead", ["new", "taken", "contacted"])
    world.avito("a-ahead", ["accepted", "contacted", "price_agreed"])

    assert failing(world.check()) == {"final_status_matches_stage"}


@pytest.mark.parametrize(
    "history",
    [
        ["accepted", "price_agreed"],
        ["accepted", "contacted", "contacted"],
        ["contacted"],
        ["accepted", "returned"],
        ["accepted", "cancelled", "contacted"],
        [*FULL_CHAIN, "rejected"],
    ],
)
def test_a_history_out_of_chain_order_is_caught(history: list[str]) -> None:
    world = clean_world()
    world.avito_leads[-1] = {**world.avito_leads[-1], "history": [
        _entry(status, n) for n, status in enumerate(history)
    ]}  # fmt: skip

    result = world.check()

    assert "statuses_in_chain_order" in failing(result)
    assert result["invariants"]["statuses_in_chain_order"]["violations"][0].startswith(
        "lead a-fresh:"
    )


def test_a_forbidden_attempt_breaks_chain_order() -> None:
    world = clean_world()
    world.avito_leads[0]["forbidden"] = [
        {"status": "contacted", "currentStatus": "bought_out", "at": "2026-05-04T08:00:00Z"}
    ]

    result = world.check()

    assert failing(result) == {"statuses_in_chain_order"}
    assert result["invariants"]["statuses_in_chain_order"]["violations"] == [
        "lead a-won: forbidden bought_out>contacted attempted"
    ]


def test_a_lost_deals_reason_decides_between_rejected_and_cancelled() -> None:
    world = World()
    world.deal("a-1", ["new", "taken", "lost"], reason="Продавец передумал")
    world.avito("a-1", ["accepted", "rejected"])

    result = world.check()

    assert failing(result) == {"final_status_matches_stage", "nothing_lost"}


def test_429s_on_the_integration_side_of_either_simulator_are_caught() -> None:
    world = clean_world()
    world.avito_stats["rate_limited"] = {"statuses_apply": 3, "leads_get": 0}
    world.amo_stats = {"rate_limited_total": 2}

    result = world.check()

    assert failing(result) == {"rate_limits_respected"}
    assert result["invariants"]["rate_limits_respected"]["violations"] == [
        "avito statuses_apply: 3 × 429",
        "amocrm integration: 2 × 429",
    ]


def test_a_managers_throttled_browser_session_does_not_count() -> None:
    world = clean_world()
    world.amo_stats = {
        "rate_limited_total": 4,
        "rate_limited_by_token_kind": {"person": 4, "integration": 0},
    }

    assert world.check()["ok"] is True


def test_violations_are_capped_and_summary_is_one_line() -> None:
    world = clean_world()
    for n in range(30):
        world.avito(f"a-missing-{n}", [])

    result = world.check()
    line = summarize(result)

    assert len(result["invariants"]["nothing_lost"]["violations"]) == 20
    assert "\n" not in line
    assert "nothing_lost: FAILED" in line
    assert "rate_limits_respected: ok" in line
    assert summarize(clean_world().check()).startswith("все инварианты соблюдены")


def test_a_status_avito_set_on_its_own_is_not_held_against_the_chain() -> None:
    world = clean_world()
    world.deal("a-evolved", WON_PATH)
    lead = world.avito("a-evolved", FULL_CHAIN)
    received = FULL_CHAIN.index("device_received") + 1
    own = {**_entry("inspection_scheduled", 40), "idempotencyKey": "avito:a-evolved:x"}
    lead["history"].insert(received, own)
    world.avito("a-forged", ["accepted", "inspection_scheduled"])
    world.deal("a-forged", ["new"])

    result = world.check()

    order = result["invariants"]["statuses_in_chain_order"]
    assert order["violations"] == [
        "lead a-forged: inspection_scheduled out of order in accepted>inspection_scheduled"
    ]


def _withdrawn(world: World, avito_id: str, history: list[str]) -> dict[str, Any]:
    """A lead its seller withdrew after `history`: Avito's own cancellation closes it, and the
    status the bridge had in flight is refused."""
    lead = world.avito(avito_id, history, withdrawn=True)
    lead["history"].append(
        {**_entry("cancelled", len(history)), "idempotencyKey": f"avito:{avito_id}:cancelled"}
    )
    lead["status"] = "cancelled"
    lead["forbidden"] = [
        {"status": "negotiation", "currentStatus": "cancelled", "at": "2026-05-04T08:00:00Z"}
    ]
    return lead


def test_a_withdrawn_lead_owes_no_more_statuses_but_keeps_its_one_deal() -> None:
    world = clean_world()
    # the manager had moved on, then the bridge closed the deal for the withdrawal
    world.deal(
        "a-gone", ["new", "taken", "contacted", "negotiation", "lost"], reason="Продавец передумал"
    )
    _withdrawn(world, "a-gone", ["accepted", "contacted"])

    result = world.check()

    assert result["ok"], result["invariants"]
    assert result["invariants"]["final_status_matches_stage"]["checked"] == 5  # not a-gone
    assert result["invariants"]["nothing_lost"]["checked"] == 6


def test_a_withdrawn_lead_still_needs_its_deal_and_its_history_in_order() -> None:
    world = clean_world()
    _withdrawn(world, "a-gone", ["accepted", "price_agreed"])  # no deal, a status skipped

    result = world.check()

    assert failing(result) == {"one_deal_per_request", "statuses_in_chain_order", "nothing_lost"}


def test_a_status_refused_before_the_withdrawal_is_still_a_forbidden_attempt() -> None:
    world = clean_world()
    world.deal("a-gone", ["new", "taken", "contacted"])
    lead = _withdrawn(world, "a-gone", ["accepted", "contacted"])
    lead["forbidden"].append(
        {"status": "sold", "currentStatus": "contacted", "at": "2026-05-04T07:30:00Z"}
    )

    result = world.check()

    assert failing(result) == {"statuses_in_chain_order"}
    assert result["invariants"]["statuses_in_chain_order"]["violations"] == [
        "lead a-gone: forbidden contacted>sold attempted"
    ]
