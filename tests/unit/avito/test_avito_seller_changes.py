"""A seller's change as Avito sends it — a webhook envelope or a feed row — read where the
mapping says, and Avito's refusal of a status because the seller withdrew told from any other."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from leadbridge.avito.answer_shapes import AnswerShape
from leadbridge.avito.apply_answers import classify_answer
from leadbridge.avito.changes import read_change, stored_change
from leadbridge.avito.envelope import (
    ChangeBody,
    ChangeKind,
    EventKind,
    read_feed_item,
    read_webhook,
)
from leadbridge.avito.payload import PayloadError
from leadbridge.avito.results import Outcome, StatusUpdate
from leadbridge.sandbox.avito import LeadFactory

LEAD = LeadFactory(seed=5).make()


def envelope(kind: str = "lead.updated", **payload: Any) -> bytes:
    body = {"type": kind, "changeId": "c-1", "changedAt": "2026-05-04T10:00:00Z", "lead": LEAD}
    return json.dumps({"id": "e-1", "payload": {**body, **payload}}).encode()


def test_an_edit_by_webhook_is_handed_on_where_a_lead_goes_and_read_whole() -> None:
    event = read_webhook(envelope())

    assert (event.kind, event.change) == (EventKind.LEAD, ChangeKind.UPDATED)
    assert isinstance(event.lead, ChangeBody)
    change = read_change(event.lead)
    assert (change.kind, change.change_id, change.inbox_key) == (
        ChangeKind.UPDATED,
        "c-1",
        "change:c-1",
    )
    assert change.changed_at == datetime(2026, 5, 4, 10, tzinfo=UTC)
    assert change.request.avito_lead_id == LEAD["id"]


def test_a_withdrawal_in_the_feed_is_the_same_change_as_by_webhook() -> None:
    row = {"id": 9, "type": "lead.withdrawn", "changeId": "c-1", "lead": LEAD}

    body = read_feed_item(row)

    assert isinstance(body, ChangeBody)
    assert body.in_feed
    change = read_change(body)
    assert (change.kind, change.inbox_key, change.changed_at) == (
        ChangeKind.WITHDRAWN,
        "change:c-1",
        None,
    )
    assert stored_change(json.dumps(row), in_feed=True) == change


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"changeId": None}, "payload.changeId"),
        ({"lead": "b-1"}, "payload.lead"),
        ({"lead": {**LEAD, "buyoutPrice": None}}, "lead.buyout_price"),
    ],
)
def test_a_change_that_cannot_be_read_is_refused_naming_the_place(
    payload: dict[str, Any], where: str
) -> None:
    event = read_webhook(envelope(**payload))
    assert isinstance(event.lead, ChangeBody)

    with pytest.raises(PayloadError) as refused:
        read_change(event.lead)

    assert refused.value.where == where


def _answer(row: dict[str, Any]) -> httpx.Response:
    request = httpx.Request("POST", "https://api.avito.ru/partner/buyout/v1/leads/statuses/apply")
    return httpx.Response(200, json={"result": [row]}, request=request)


def test_a_refusal_because_the_seller_withdrew_is_told_from_any_other_forbidden() -> None:
    update = StatusUpdate("b-1", "contacted", datetime(2026, 5, 4, tzinfo=UTC), "b-1:contacted")
    row = {"idempotencyKey": "b-1:contacted", "result": "forbidden", "currentStatus": "cancelled"}

    (withdrawn,) = classify_answer(
        [update], _answer({**row, "errorCode": "lead_withdrawn"}), AnswerShape()
    )
    (forbidden,) = classify_answer([update], _answer(row), AnswerShape())
    renamed = AnswerShape(row_error_code="code", withdrawn_code="seller_cancelled")
    (mapped,) = classify_answer([update], _answer({**row, "code": "seller_cancelled"}), renamed)

    assert withdrawn.outcome is Outcome.WITHDRAWN
    assert forbidden.outcome is Outcome.FORBIDDEN
    assert mapped.outcome is Outcome.WITHDRAWN
