"""The Avito simulator's sellers: an edit or a withdrawal is a feed row after the lead, and a
withdrawn lead refuses every status with a code a client can recognise."""

from __future__ import annotations

import pytest

from leadbridge.sandbox.avito import AvitoSandbox
from leadbridge.sandbox.avito.seller_changes import ChangeRefused


def _item(lead_id: str, status: str) -> dict[str, str]:
    return {
        "leadId": lead_id,
        "status": status,
        "occurredAt": "2026-05-04T12:00:00+03:00",
        "idempotencyKey": f"{lead_id}:{status}",
    }


def test_changes_follow_their_lead_in_the_feed_with_the_lead_as_it_now_stands() -> None:
    sandbox = AvitoSandbox()
    first = sandbox.add_lead()
    second = sandbox.add_lead()

    edit = sandbox.update_lead(first["id"])
    withdrawal = sandbox.withdraw_lead(second["id"])

    rows = sandbox.book.page(None, 100)
    assert [row.position for row in rows] == [1, 2, 3, 4]
    assert (edit["id"], edit["type"], withdrawal["type"]) == (3, "lead.updated", "lead.withdrawn")
    assert edit["lead"]["buyoutPrice"] < first["buyoutPrice"]
    assert edit["changeId"] != withdrawal["changeId"]
    assert [row.position for row in sandbox.book.page(2, 1)] == [3]


def test_a_withdrawn_lead_refuses_every_status_and_cannot_change_again() -> None:
    sandbox = AvitoSandbox()
    lead_id = sandbox.add_lead()["id"]
    (accepted,) = sandbox.apply_statuses([_item(lead_id, "accepted")])
    sandbox.withdraw_lead(lead_id)

    rejected = {**_item(lead_id, "rejected"), "reason": "Не сошлись в цене"}
    refused = sandbox.apply_statuses([_item(lead_id, "contacted"), rejected])
    (again,) = sandbox.apply_statuses([_item(lead_id, "accepted")])

    assert accepted["result"] == "success"
    assert {row["errorCode"] for row in refused} == {"lead_withdrawn"}
    assert {row["currentStatus"] for row in refused} == {"cancelled"}
    assert again["result"] == "already_applied"  # a key applied before keeps its answer
    with pytest.raises(ChangeRefused):
        sandbox.update_lead(lead_id, {"buyoutPrice": 100})
    with pytest.raises(ChangeRefused) as missing:
        sandbox.withdraw_lead("b-nope")
    assert missing.value.missing
    assert sandbox.state_json()["stats"]["withdrawn_refused_total"] == 2
