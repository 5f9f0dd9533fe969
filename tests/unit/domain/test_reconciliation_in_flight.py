"""Differences still on their way to Avito are «в пути», not problems: statuses Avito lacks while
the outbox is still sending, or while the lead's change is fresh."""

from __future__ import annotations

from dataclasses import replace

import pytest

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.reconciliation import CrmDeal, DriftKind, LeadFacts, classify

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
AHEAD = replace(AGREEING, deal=CrmDeal("received", 3_000_000))  # a stage change not logged yet


@pytest.mark.parametrize(
    "on_the_way",
    [{"moving": True, "in_flight": True}, {"changed_recently": True}],
    ids=["queued or being sent", "changed within the grace"],
)
def test_statuses_avito_lacks_are_in_flight_while_the_bridge_works(
    on_the_way: dict[str, bool],
) -> None:
    (drift,) = classify(replace(AHEAD, **on_the_way), FUNNEL)

    assert (drift.kind, drift.in_flight) == (DriftKind.MISSING_IN_AVITO, True)
    assert drift.repairable  # still what a repair would queue, should it stay


def test_a_parked_status_is_not_in_flight() -> None:
    """Parked waits for a person: nothing delivers it, so the difference is real."""
    (drift,) = classify(replace(AHEAD, in_flight=True, moving=False), FUNNEL)

    assert (drift.kind, drift.in_flight) == (DriftKind.MISSING_IN_AVITO, False)


def test_avito_ahead_of_its_acknowledgement_is_in_flight_while_a_send_is_going() -> None:
    read = replace(AGREEING, read_back="device_received", was_read=True, moving=True)

    (drift,) = classify(read, FUNNEL)

    assert (drift.kind, drift.in_flight) == (DriftKind.STATUS_MISMATCH, True)


def test_a_backward_stage_or_a_lost_status_stays_a_difference_however_fresh() -> None:
    backward = replace(AGREEING, deal=CrmDeal("new", 3_000_000), changed_recently=True)
    behind = replace(AGREEING, read_back="accepted", was_read=True, moving=True)
    price = replace(AGREEING, deal=CrmDeal("price_agreed", 2_900_000), changed_recently=True)

    for facts in (backward, behind, price):
        assert [d.in_flight for d in classify(facts, FUNNEL)] == [False], facts
