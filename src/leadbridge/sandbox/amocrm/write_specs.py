"""The fields of every entity the simulator writes, with their types (reference §3–§9, amoCRM's
leads-api, contacts-api, tasks-api, leads_pipelines, custom-fields, webhooks-api).

Only fields the simulator knows are listed; any other key passes unchecked, as amoCRM ignores
what it does not use.
"""

from __future__ import annotations

from leadbridge.sandbox.amocrm.shapes import ANY, BOOL, INT, REQUEST_ID, STR, ListOf, Obj, Spec

ENUM_VALUE = Obj({"value": ANY, "enum_id": INT, "enum_code": STR})
FIELD_VALUES = ListOf(Obj({"field_id": INT, "field_code": STR, "values": ListOf(ENUM_VALUE)}))
TAGS = ListOf(Obj({"id": INT, "name": STR}))
AUTHORSHIP: dict[str, Spec] = {
    "created_by": INT,
    "updated_by": INT,
    "created_at": INT,
    "updated_at": INT,
}

CONTACT = Obj(
    {
        "id": INT,
        "is_main": BOOL,
        "name": STR,
        "first_name": STR,
        "last_name": STR,
        "responsible_user_id": INT,
        **AUTHORSHIP,
        "custom_fields_values": FIELD_VALUES,
        "tags_to_add": TAGS,
        "_embedded": Obj({"tags": TAGS}),
        "request_id": REQUEST_ID,
    }
)
COMPANY = Obj(
    {"id": INT, "name": STR, "responsible_user_id": INT, "custom_fields_values": FIELD_VALUES}
)
_LEAD: dict[str, Spec] = {
    "name": STR,
    "price": INT,
    "status_id": INT,
    "pipeline_id": INT,
    "responsible_user_id": INT,
    "loss_reason_id": INT,
    "closed_at": INT,
    **AUTHORSHIP,
    "custom_fields_values": FIELD_VALUES,
    "tags_to_add": TAGS,
    "tags_to_delete": TAGS,
    "request_id": REQUEST_ID,
    "_embedded": Obj(
        {
            "tags": TAGS,
            "contacts": ListOf(CONTACT),
            "companies": ListOf(COMPANY),
            "metadata": Obj(),
            "source": Obj({"external_id": STR, "type": STR}),
        }
    ),
}
LEAD = Obj(_LEAD)
LEAD_IN_BATCH_UPDATE = Obj({**_LEAD, "id": INT}, required=frozenset({"id"}))

NOTE = Obj(
    {
        "entity_id": INT,
        "note_type": STR,
        "params": Obj({"text": STR, "service": STR}),
        "responsible_user_id": INT,
        "is_need_to_trigger_digital_pipeline": BOOL,
        **AUTHORSHIP,
        "request_id": REQUEST_ID,
    }
)

_TASK: dict[str, Spec] = {
    "text": STR,
    "complete_till": INT,
    "entity_id": INT,
    "entity_type": STR,
    "responsible_user_id": INT,
    "task_type_id": INT,
    "duration": INT,
    "is_completed": BOOL,
    "result": Obj({"text": STR}),
    **AUTHORSHIP,
    "request_id": REQUEST_ID,
}
NEW_TASK = Obj(_TASK, required=frozenset({"text", "complete_till"}))  # tasks-api: both required
TASK_CHANGE = Obj(_TASK)
TASK_IN_BATCH_UPDATE = Obj({**_TASK, "id": INT}, required=frozenset({"id"}))

STATUS = Obj(
    {
        "name": STR,
        "sort": INT,
        "color": STR,
        "descriptions": ListOf(Obj({"level": STR, "description": STR})),
        "request_id": REQUEST_ID,
    },
    required=frozenset({"name"}),
)
STATUS_CHANGE = Obj({"name": STR, "sort": INT, "color": STR})
PIPELINE = Obj(
    {
        "name": STR,
        "sort": INT,
        "is_main": BOOL,
        "is_unsorted_on": BOOL,
        "request_id": REQUEST_ID,
        "_embedded": Obj({"statuses": ListOf(STATUS)}),
    },
    required=frozenset({"name"}),
)
CUSTOM_FIELD = Obj(
    {
        "name": STR,
        "type": STR,
        "code": STR,
        "sort": INT,
        "is_api_only": BOOL,
        "enums": ListOf(Obj({"value": STR, "sort": INT, "code": STR}, frozenset({"value"}))),
        "request_id": REQUEST_ID,
    },
    required=frozenset({"name", "type"}),
)
LOSS_REASON = Obj(
    {"name": STR, "sort": INT, "request_id": REQUEST_ID}, required=frozenset({"name"})
)
WEBHOOK = Obj(
    {"destination": STR, "settings": ListOf(STR), "sort": INT},
    required=frozenset({"destination"}),
)
WEBHOOK_REMOVAL = Obj({"destination": STR}, required=frozenset({"destination"}))
