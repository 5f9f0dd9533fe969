from typing import Any

import pytest

from leadbridge.sandbox.avito import AvitoSandbox

AT = "2026-05-04T10:00:00+03:00"
PRICED = {"price_agreed", "bought_out"}
REASONED = {"rejected", "cancelled"}


def item(lead_id: str, status: str, key: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "leadId": lead_id,
        "status": status,
        "occurredAt": AT,
        "idempotencyKey": key or f"{lead_id}:{status}",
    }
    if status in PRICED:
        body["price"] = 1_500_000
    if status in REASONED:
        body["reason"] = "seller changed mind"
    return {**body, **extra}


@pytest.fixture
def sandbox() -> AvitoSandbox:
    box = AvitoSandbox()
    box.add_lead({"id": "b-1"})
    return box


def results(sandbox: AvitoSandbox, *items: dict[str, Any]) -> list[str]:
    return [answer["result"] for answer in sandbox.apply_statuses(items)]


def walk(sandbox: AvitoSandbox, *statuses: str) -> None:
    assert results(sandbox, *(item("b-1", s) for s in statuses)) == ["success"] * len(statuses)


def test_full_chain_then_returned(sandbox: AvitoSandbox) -> None:
    walk(sandbox, "accepted", "contacted", "price_agreed", "pickup_scheduled")
    walk(sandbox, "device_received", "bought_out", "returned")
    record = sandbox.lead("b-1")
    assert record is not None
    assert record.status == "returned"
    assert [entry.status for entry in record.history][-2:] == ["bought_out", "returned"]


def test_first_status_must_be_accepted(sandbox: AvitoSandbox) -> None:
    [answer] = sandbox.apply_statuses([item("b-1", "contacted")])
    assert answer["result"] == "forbidden"
    assert answer["currentStatus"] is None
    assert "accepted" in answer["message"]


def test_skip_is_forbidden_and_recorded(sandbox: AvitoSandbox) -> None:
    walk(sandbox, "accepted")
    [answer] = sandbox.apply_statuses([item("b-1", "price_agreed")])
    assert (answer["result"], answer["currentStatus"]) == ("forbidden", "accepted")
    state = sandbox.state_json()
    assert state["stats"]["forbidden_total"] == 1
    [forbidden] = state["leads"][0]["forbidden"]
    assert (forbidden["status"], forbidden["currentStatus"]) == ("price_agreed", "accepted")


@pytest.mark.parametrize("exit_status", ["rejected", "cancelled"])
def test_exits_from_any_non_terminal_status(sandbox: AvitoSandbox, exit_status: str) -> None:
    walk(sandbox, "accepted", "contacted", "price_agreed", exit_status)
    assert results(sandbox, item("b-1", "pickup_scheduled")) == ["forbidden"]
    assert results(sandbox, item("b-1", "returned")) == ["forbidden"]


def test_no_exit_after_bought_out(sandbox: AvitoSandbox) -> None:
    walk(sandbox, "accepted", "contacted", "price_agreed", "pickup_scheduled")
    walk(sandbox, "device_received", "bought_out")
    assert results(sandbox, item("b-1", "cancelled")) == ["forbidden"]


def test_returned_only_after_bought_out(sandbox: AvitoSandbox) -> None:
    walk(sandbox, "accepted", "contacted")
    assert results(sandbox, item("b-1", "returned")) == ["forbidden"]


@pytest.mark.parametrize(("status", "missing"), [("price_agreed", "price"), ("rejected", "reason")])
def test_required_fields(sandbox: AvitoSandbox, status: str, missing: str) -> None:
    walk(sandbox, "accepted", "contacted")
    body = item("b-1", status)
    del body[missing]
    [answer] = sandbox.apply_statuses([body])
    assert answer["result"] == "invalid"
    assert missing in answer["message"]


@pytest.mark.parametrize(
    "broken",
    [
        {"occurredAt": "yesterday"},
        {"occurredAt": "2026-05-04T10:00:00"},
        {"idempotencyKey": ""},
        {"status": "sold"},
        {"price": "15000"},
        {"price": -1},
    ],
)
def test_malformed_items_are_invalid(sandbox: AvitoSandbox, broken: dict[str, Any]) -> None:
    walk(sandbox, "accepted", "contacted")
    assert results(sandbox, {**item("b-1", "price_agreed"), **broken}) == ["invalid"]


def test_unknown_lead_is_not_found(sandbox: AvitoSandbox) -> None:
    [answer] = sandbox.apply_statuses([item("b-404", "accepted")])
    assert (answer["result"], answer["currentStatus"]) == ("not_found", None)


def test_repeated_key_is_already_applied_and_changes_nothing(sandbox: AvitoSandbox) -> None:
    walk(sandbox, "accepted")
    [answer] = sandbox.apply_statuses([item("b-1", "accepted")])
    assert (answer["result"], answer["currentStatus"]) == ("already_applied", "accepted")
    [answer] = sandbox.apply_statuses([item("b-1", "contacted", key="b-1:accepted")])
    assert (answer["result"], answer["currentStatus"]) == ("already_applied", "accepted")
    record = sandbox.lead("b-1")
    assert record is not None
    assert len(record.history) == 1
    assert sandbox.state_json()["stats"]["already_applied_total"] == 2


def test_a_key_is_used_up_only_by_success(sandbox: AvitoSandbox) -> None:
    assert results(sandbox, item("b-1", "contacted", key="k")) == ["forbidden"]
    assert results(sandbox, item("b-1", "accepted", key="k")) == ["success"]


def test_items_apply_in_array_order(sandbox: AvitoSandbox) -> None:
    answers = results(
        sandbox,
        item("b-1", "contacted", key="early"),
        item("b-1", "accepted"),
        item("b-1", "contacted"),
    )
    assert answers == ["forbidden", "success", "success"]
