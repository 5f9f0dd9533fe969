"""Avito's answers read where the `[answers]` table says: what the mapping does not expect comes
back as drift beside a result classified as before, never as an exception the relay does not
expect. The answers are real `httpx.Response`s, built here rather than received."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from leadbridge.avito.answer_bodies import error_code_drifts, read_status
from leadbridge.avito.answer_shapes import AnswerShape
from leadbridge.avito.apply_answers import classify_answer
from leadbridge.avito.results import Outcome, StatusUpdate, UnreadableAnswer
from leadbridge.domain.contract_drift import DriftKind

APPLY = "/partner/buyout/v1/leads/statuses/apply"
READ = "GET /partner/buyout/v1/leads/{lead_id}/status"
TODAY = AnswerShape()


def _update(key: str) -> StatusUpdate:
    return StatusUpdate("b-1", "accepted", datetime(2026, 5, 4, tzinfo=UTC), key)


def _answer(status_code: int, body: Any = None, *, text: str | None = None) -> httpx.Response:
    request = httpx.Request("POST", f"https://api.avito.ru{APPLY}")
    if text is not None:
        return httpx.Response(status_code, text=text, request=request)
    return httpx.Response(status_code, json=body, request=request)


def _row(key: str, result: str, current: str | None = "accepted", **more: Any) -> dict[str, Any]:
    return {
        "leadId": "b-1",
        "idempotencyKey": key,
        "result": result,
        "currentStatus": current,
        **more,
    }


def test_a_verdict_we_do_not_know_is_an_unknown_error_code_parked_as_today() -> None:
    body = {"result": [_row("k1", "success"), _row("k2", "lead_locked", message="moderation")]}
    ok, locked = classify_answer([_update("k1"), _update("k2")], _answer(200, body), TODAY)
    assert (ok.outcome, ok.drifts) == (Outcome.OK, ())
    assert (locked.outcome, locked.detail) == (Outcome.PERMANENT, "lead_locked: moderation")
    assert locked.drifts == ((DriftKind.UNKNOWN_ERROR_CODE, "lead_locked", body["result"][1]),)


@pytest.mark.parametrize(
    ("status_code", "outcome"),
    [(400, Outcome.PERMANENT), (429, Outcome.RETRYABLE), (503, Outcome.RETRYABLE)],
)
def test_an_error_body_with_a_code_we_do_not_know_is_drift_classified_by_its_status(
    status_code: int, outcome: Outcome
) -> None:
    body = {"error": {"code": "QUOTA_EXCEEDED", "message": "quota"}}
    (result,) = classify_answer([_update("k1")], _answer(status_code, body), TODAY)
    assert result.outcome is outcome
    assert result.drifts == ((DriftKind.UNKNOWN_ERROR_CODE, "QUOTA_EXCEEDED", body),)


def test_documented_codes_and_bodies_without_a_code_are_no_drift() -> None:
    for status_code in (400, 404, 410, 429, 500, 502, 503):
        body = {"error": {"code": status_code, "message": "x"}}
        assert error_code_drifts(_answer(status_code, body), TODAY) == ()
    assert error_code_drifts(_answer(502, text="<html>Bad gateway</html>"), TODAY) == ()
    assert error_code_drifts(_answer(400, {"error": {"message": "x"}}), TODAY) == ()
    unknown = error_code_drifts(_answer(400, {"error": {"code": 4001}}), TODAY)
    assert [(kind, name) for kind, name, _sample in unknown] == [("unknown_error_code", "4001")]


def test_a_moved_endpoint_keeps_its_drift_with_the_body_as_the_sample() -> None:
    body = {"error": {"code": 410, "message": "gone: moved to /v2"}}
    (result,) = classify_answer([_update("k1")], _answer(410, body), TODAY)
    assert result.outcome is Outcome.RETRYABLE
    assert result.drifts == ((DriftKind.ENDPOINT_GONE, f"POST {APPLY}", body),)


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        (_answer(200, text="<html>oops</html>"), "body"),
        (_answer(200, [1, 2]), "body"),
        (_answer(200, {"results": []}), "result"),
        (_answer(200, {"result": [{"idempotencyKey": "k1", "outcome": "success"}]}), "result[]"),
    ],
)
def test_an_answer_of_unknown_shape_waits_retried_and_is_read_back(
    answer: httpx.Response, field: str
) -> None:
    (result,) = classify_answer([_update("k1")], answer, TODAY)
    assert (result.outcome, result.ambiguous) == (Outcome.RETRYABLE, True)
    ((kind, name, _sample),) = result.drifts
    assert kind is DriftKind.UNKNOWN_ANSWER
    assert name.startswith(f"POST {APPLY}: {field}")


def test_rows_are_read_where_the_mapping_says() -> None:
    shape = AnswerShape(rows="items", row_key="key", row_result="outcome", row_status="state")
    body = {"items": [{"key": "k1", "outcome": "forbidden", "state": "contacted"}]}
    (result,) = classify_answer([_update("k1")], _answer(200, body), shape)
    assert (result.outcome, result.current_status, result.drifts) == (
        Outcome.FORBIDDEN,
        "contacted",
        (),
    )
    assert result.answer == body["items"][0]


def _read(body: Any = None, *, text: str | None = None) -> httpx.Response:
    request = httpx.Request("GET", "https://api.avito.ru/partner/buyout/v1/leads/b-1/status")
    if text is not None:
        return httpx.Response(200, text=text, request=request)
    return httpx.Response(200, json=body, request=request)


def test_a_read_back_gives_the_status_and_the_answer_it_came_in() -> None:
    body = {"leadId": "b-1", "status": "inspection_scheduled", "history": []}
    reading = read_status(_read(body), TODAY, READ)
    assert (reading.status, reading.answer) == ("inspection_scheduled", body)
    assert read_status(_read({"leadId": "b-1", "status": None}), TODAY, READ).status is None
    nested = AnswerShape(status_path=("data", "state"))
    assert read_status(_read({"data": {"state": "accepted"}}), nested, READ).status == "accepted"


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        (_read(text="<html>Service unavailable</html>"), "body"),
        (_read(["accepted"]), "body"),
        (_read({"leadId": "b-1", "state": "accepted"}), "status"),
        (_read({"leadId": "b-1", "status": {"code": "accepted"}}), "status"),
    ],
)
def test_a_read_back_that_cannot_be_interpreted_is_an_unknown_answer(
    answer: httpx.Response, field: str
) -> None:
    with pytest.raises(UnreadableAnswer) as unreadable:
        read_status(answer, TODAY, READ)
    ((kind, name, _sample),) = unreadable.value.drifts
    assert (kind, name) == (DriftKind.UNKNOWN_ANSWER, f"{READ}: {field}")
    assert isinstance(unreadable.value, ValueError)  # what callers of read_status caught before
