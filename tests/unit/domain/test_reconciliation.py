from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.reconciliation import (
    CrmDeal,
    DriftKind,
    LeadFacts,
    classify,
    needs_read_back,
)

FUNNEL = load_funnel(DEFAULT_FUNNEL)
AGREEING = LeadFacts(
    avito_lead_id="b-1",
    has_deal_id=True,
    deal=CrmDeal("price_agreed", 3_000_000),
    logged_stage="price_agreed",
    queued_status="price_agreed",
    acknowledged="price_agreed",
    acknowledged_prices=(("price_agreed", 3_000_000),),
)


def kinds(facts: LeadFacts) -> list[DriftKind]:
    return [drift.kind for drift in classify(facts, FUNNEL)]


def test_agreeing_sides_have_no_drift_and_need_no_read() -> None:
    assert classify(AGREEING, FUNNEL) == []
    assert not needs_read_back(AGREEING, FUNNEL)


def test_a_stage_ahead_of_what_was_queued_is_repairable() -> None:
    facts = replace(AGREEING, deal=CrmDeal("received", 3_000_000))

    (drift,) = classify(facts, FUNNEL)

    assert drift.kind is DriftKind.MISSING_IN_AVITO
    assert [p.status for p in drift.repair] == ["pickup_scheduled", "device_received"]
    assert needs_read_back(facts, FUNNEL)


def test_a_lost_deal_plans_the_closing_status_of_its_reason() -> None:
    facts = replace(AGREEING, deal=CrmDeal("lost", 3_000_000, "Продавец передумал"))

    (drift,) = classify(facts, FUNNEL)

    assert [(p.status, p.reason) for p in drift.repair] == [("cancelled", "Продавец передумал")]


def test_no_deal_is_missing_in_crm_either_way() -> None:
    assert kinds(replace(AGREEING, deal=None)) == [DriftKind.MISSING_IN_CRM]
    assert kinds(replace(AGREEING, deal=None, has_deal_id=False)) == [DriftKind.MISSING_IN_CRM]


def test_a_read_back_that_differs_is_a_mismatch_and_nothing_is_planned_on_it() -> None:
    facts = replace(
        AGREEING, deal=CrmDeal("received", 3_000_000), read_back="pickup_scheduled", was_read=True
    )

    (drift,) = classify(facts, FUNNEL)

    assert drift.kind is DriftKind.STATUS_MISMATCH
    assert not drift.repairable


def test_avito_behind_what_it_acknowledged_lacks_statuses_and_a_person_looks() -> None:
    facts = replace(AGREEING, read_back="contacted", was_read=True)

    (drift,) = classify(facts, FUNNEL)

    assert drift.kind is DriftKind.MISSING_IN_AVITO
    assert not drift.repairable
    assert kinds(replace(facts, read_back=None)) == [DriftKind.MISSING_IN_AVITO]
    assert kinds(replace(facts, read_back="cancelled")) == [DriftKind.STATUS_MISMATCH]


def test_a_skipped_status_with_nothing_waiting_is_for_a_person() -> None:
    facts = replace(AGREEING, acknowledged="contacted", acknowledged_prices=())
    assert kinds(facts) == [DriftKind.STATUS_MISMATCH]
    assert kinds(replace(facts, in_flight=True)) == []  # still on its way


def test_a_changed_price_is_an_amount_mismatch_only() -> None:
    assert kinds(replace(AGREEING, deal=CrmDeal("price_agreed", 2_900_000))) == [
        DriftKind.AMOUNT_MISMATCH
    ]


def test_a_closed_avito_lead_agrees_with_a_lost_deal_only() -> None:
    closed = replace(AGREEING, queued_status="rejected", acknowledged="rejected")
    assert kinds(replace(closed, deal=CrmDeal("lost", 3_000_000))) == []
    assert kinds(closed) == [DriftKind.STATUS_MISMATCH]


@given(st.sampled_from([stage.key for stage in FUNNEL.stages if not stage.lost]))
def test_a_deal_whose_statuses_all_arrived_never_drifts(stage: str) -> None:
    implied = FUNNEL.implied_status(stage)
    facts = LeadFacts(
        avito_lead_id="b-2",
        has_deal_id=True,
        deal=CrmDeal(stage, 1_000_000),
        logged_stage=stage,
        queued_status=implied,
        acknowledged=implied,
        read_back=implied,
        was_read=True,
    )
    assert classify(facts, FUNNEL) == []
