"""The events API's filter forms, over plain event dicts."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import QueryParams

from leadbridge.sandbox.amocrm.event_filters import filter_events


def event(event_id: str, kind: str, entity_id: int, created_at: int) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "entity_type": "lead", "entity_id": entity_id,
            "created_at": created_at}  # fmt: skip


EVENTS = [
    event("01a", "lead_status_changed", 1, 100),
    event("01b", "lead_added", 2, 200),
    event("01c", "lead_status_changed", 2, 300),
]


def ids(query: str) -> list[str]:
    return [event["id"] for event in filter_events(EVENTS, QueryParams(query))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["01a", "01b", "01c"]),
        ("filter[type]=lead_status_changed", ["01a", "01c"]),
        ("filter[type]=lead_added,lead_status_changed", ["01a", "01b", "01c"]),
        ("filter[type][]=lead_added", ["01b"]),
        ("filter[type][0]=lead_added&filter[type][1]=lead_status_changed", ["01a", "01b", "01c"]),
        ("filter[entity]=contact", []),
        ("filter[entity][]=lead&filter[entity_id][]=2", ["01b", "01c"]),
        ("filter[created_at][from]=200", ["01b", "01c"]),
        ("filter[created_at]=200&filter[created_at][to]=250", ["01b"]),
        ("filter[id][]=01c", ["01c"]),
        ("filter[type]=lead_status_changed&filter[created_at][from]=150", ["01c"]),
    ],
)
def test_filters_combine_and_keep_creation_order(query: str, expected: list[str]) -> None:
    assert ids(query) == expected
