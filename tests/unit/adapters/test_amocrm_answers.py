"""amoCRM's answers parsed at the adapter's boundary: the full v4 shapes, and the older and leaner
ones real accounts send (fields missing, null, or numbers as strings) — none of which may fail."""

from __future__ import annotations

from typing import Any

import pytest

from leadbridge.amocrm import answers
from leadbridge.amocrm.answers import (
    Deal,
    DealCreated,
    FieldEnum,
    FieldValue,
    LeadField,
    LeadStatus,
    Named,
    Note,
    Pipeline,
    StatusEvent,
    Webhook,
)
from leadbridge.amocrm.events import change_from_event, in_amocrm_order

# `GET /api/v4/leads/{id}?with=loss_reason` (reference §5), trimmed to what is read and a bit more.
FULL_DEAL: dict[str, Any] = {
    "id": 3912171,
    "name": "Выкуп: iPhone 13 128 ГБ",
    "price": 41000,
    "responsible_user_id": 504141,
    "status_id": 143,
    "pipeline_id": 3177727,
    "loss_reason_id": 7323,
    "updated_at": 1790000100,
    "custom_fields_values": [
        {"field_id": 294471, "field_code": "AVITO_LEAD_ID", "values": [{"value": "av-1"}]},
        {"field_id": 294473, "values": [{"value": "Коробка", "enum_id": 1}, {"value": "Чехол"}]},
    ],
    "_embedded": {"tags": [], "loss_reason": [{"id": 7323, "name": "Продавец не отвечает"}]},
}
STATUS_EVENT: dict[str, Any] = {
    "id": "01pz58t6p04dhrm4eh3evsq5m9",
    "type": "lead_status_changed",
    "entity_id": 3912171,
    "entity_type": "lead",
    "created_at": 1790000100,
    "value_before": [{"lead_status": {"id": 142, "pipeline_id": 3177727}}],
    "value_after": [{"lead_status": {"id": 143, "pipeline_id": 3177727}}],
}


def test_a_full_deal_is_read_field_by_field() -> None:
    deal = answers.deal(FULL_DEAL)

    assert deal == Deal(
        id=3912171,
        name="Выкуп: iPhone 13 128 ГБ",
        status_id=143,
        pipeline_id=3177727,
        price=41000,
        loss_reason_id=7323,
        updated_at=1790000100,
        custom_fields=(
            FieldValue(294471, ("av-1",)),
            FieldValue(294473, ("Коробка", "Чехол")),
        ),
    )
    assert deal.field_value(294471) == "av-1"
    assert deal.field_value(294473) == "Коробка"  # the first of several
    assert deal.field_value(1) is None


@pytest.mark.parametrize(
    "lean",
    [
        {"id": 5},
        {"id": "5", "price": None, "status_id": None, "custom_fields_values": None},
        {"id": 5, "price": "", "loss_reason_id": "none", "updated_at": [], "name": None},
        {"id": 5, "custom_fields_values": [None, {"values": None}, {"field_id": 1, "values": [7]}]},
    ],
    ids=["id_only", "nulls_and_a_string_id", "not_numbers", "odd_custom_fields"],
)
def test_a_lean_deal_is_read_with_what_it_has(lean: dict[str, Any]) -> None:
    deal = answers.deal(lean)

    assert deal is not None
    assert deal.id == 5
    assert (deal.price, deal.status_id, deal.pipeline_id, deal.loss_reason_id) == (None,) * 4
    assert deal.updated_at is None
    assert deal.field_value(1) is None


def test_a_deal_without_an_id_takes_the_one_asked_for_or_is_none() -> None:
    assert answers.deal({"price": 10}, known_id=7) == answers.deal({"id": 7, "price": 10})
    assert answers.deal({"price": 10}) is None
    assert answers.deal(None) is None
    assert answers.deal([]) is None


def test_a_list_leaves_out_the_items_without_an_id() -> None:
    items = [FULL_DEAL, {"name": "no id"}, "not an object", {"id": 9}]

    assert [deal.id for deal in answers.parsed(items, answers.deal, "deal")] == [3912171, 9]
    assert answers.parsed(None, answers.deal) == []
    assert answers.parsed({"id": 1}, answers.deal) == []  # an object where a list belongs


def test_embedded_lists_of_empty_and_partial_answers_are_empty() -> None:
    assert answers.embedded(None, "leads") == []  # 204
    assert answers.embedded({}, "leads") == []
    assert answers.embedded({"_embedded": None}, "leads") == []
    assert answers.embedded({"_embedded": {"leads": None}}, "leads") == []
    assert answers.embedded({"_embedded": {"leads": [{"id": 1}]}}, "leads") == [{"id": 1}]


def test_a_status_event_reads_as_the_change_a_webhook_brings() -> None:
    event = answers.status_event(STATUS_EVENT)

    assert event == StatusEvent(
        id="01pz58t6p04dhrm4eh3evsq5m9",
        deal_id=3912171,
        created_at=1790000100,
        before=LeadStatus(142, 3177727),
        after=LeadStatus(143, 3177727),
    )
    change = change_from_event(event, price=41000)
    assert change is not None
    assert (change.amo_lead_id, change.old_status_id, change.status_id) == (3912171, 142, 143)
    assert (change.pipeline_id, change.old_pipeline_id) == (3177727, 3177727)
    assert (change.price, change.modified_at) == (41000, 1790000100)


@pytest.mark.parametrize(
    ("value_after", "entity_id"),
    [
        (None, 1),
        ([], 1),
        ({"lead_status": {"id": 143}}, 1),  # not a list
        (["lead_status"], 1),
        ([{"lead_status": None}], 1),
        ([{"lead_status": {"pipeline_id": 1}}], 1),  # no status id
        ([{"lead_status": {"id": "closed"}}], 1),
        ([{"lead_status": {"id": 143}}], None),
        ([{"lead_status": {"id": 143}}], "deal"),
    ],
)
def test_an_event_without_a_usable_status_or_deal_is_no_change(
    value_after: Any, entity_id: Any
) -> None:
    body = {**STATUS_EVENT, "value_after": value_after, "entity_id": entity_id}

    assert change_from_event(answers.status_event(body), price=None) is None


def test_a_lean_event_is_a_change_with_what_it_has() -> None:
    body = {"entity_id": "7", "value_after": [{"lead_status": {"id": "143"}}]}

    event = answers.status_event(body)
    change = change_from_event(event, price=None)

    assert event == StatusEvent("", 7, None, None, LeadStatus(143, None))
    assert change is not None
    assert (change.amo_lead_id, change.status_id, change.old_status_id) == (7, 143, None)
    assert (change.pipeline_id, change.modified_at) == (None, None)


def test_events_sort_by_time_then_id_and_a_missing_time_first() -> None:
    late = StatusEvent("b", 1, 20, None, None)
    same_second = StatusEvent("a", 1, 20, None, None)
    timeless = StatusEvent("c", 1, None, None, None)

    assert in_amocrm_order([late, timeless, same_second]) == [timeless, same_second, late]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            {"id": 11, "contact_id": 21, "request_id": ["5"], "merged": False},
            DealCreated(11, 21, ("5",)),
        ),
        ({"id": "11", "request_id": "5"}, DealCreated(11, None, ("5",))),
        ({"id": 11, "request_id": [5, None]}, DealCreated(11, None, ("5",))),
        ({"id": 11}, DealCreated(11, None, ())),
        ({"contact_id": 21, "request_id": ["5"]}, None),
    ],
    ids=["full", "scalar_request_id", "numbers_and_null", "no_request_id", "no_deal_id"],
)
def test_a_complex_row_names_the_deal_its_contact_and_our_request(
    row: dict[str, Any], expected: DealCreated | None
) -> None:
    assert answers.deal_created(row) == expected


def test_notes_read_their_text_when_they_have_one() -> None:
    assert answers.note({"note_type": "common", "params": {"text": "card"}}) == Note("card")
    assert answers.note({"note_type": "call_in", "params": {"duration": 5}}) == Note(None)
    assert answers.note({"params": None}) == Note(None)
    assert answers.note({"params": ["text"]}) == Note(None)


def test_layout_answers_keep_what_provisioning_reads() -> None:
    pipeline = {
        "id": 3177727,
        "name": "Выкуп Авито",
        "_embedded": {"statuses": [{"id": 1, "name": "Новая"}, {"name": "no id"}, {"id": 2}]},
    }
    field = {
        "id": 294473,
        "code": "DEVICE_KIT",
        "enums": [{"id": 1, "value": "Коробка"}, {"id": 2}, {"value": "Чехол"}, None],
    }

    assert answers.pipeline(pipeline) == Pipeline(
        3177727, "Выкуп Авито", (Named(1, "Новая"), Named(2, None))
    )
    assert answers.pipeline({"id": 1}) == Pipeline(1, None, ())
    assert answers.lead_field(field) == LeadField(294473, "DEVICE_KIT", (FieldEnum(1, "Коробка"),))
    assert answers.lead_field({"id": 1, "enums": None}) == LeadField(1, None, ())
    assert answers.named({"name": "no id"}) is None
    assert answers.webhook({"destination": "https://x/hook"}) == Webhook("https://x/hook", False)
    assert answers.webhook({"destination": "https://x/hook", "disabled": True}).disabled
