"""Deals and contacts: creation (plain and complex), updates, and the status changes they make."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from leadbridge.sandbox.amocrm.users import check_responsible
from leadbridge.sandbox.amocrm.validation import ValidationFailed, error, normalized_values

if TYPE_CHECKING:
    from leadbridge.sandbox.amocrm.state import AmoSandbox

CLOSED = (142, 143)
UNKNOWN = "The value you selected is not a valid choice."


def create_contact(
    sandbox: AmoSandbox,
    raw: Mapping[str, Any],
    request_id: str,
    prefix: str,
    user_id: int | None = None,
) -> int:
    """`user_id`: who acts (the token's user); responsible unless the contact names another."""
    contact_id = sandbox.next_id()
    now = int(sandbox.now())
    sandbox.contacts[contact_id] = {
        "id": contact_id,
        "name": raw.get("name") or raw.get("first_name") or "",
        "first_name": raw.get("first_name") or "",
        "last_name": raw.get("last_name") or "",
        "responsible_user_id": _responsible(sandbox, raw, user_id),
        "created_at": now,
        "updated_at": now,
        "custom_fields_values": normalized_values(
            raw.get("custom_fields_values"), sandbox.contact_fields, request_id, prefix
        ),
    }
    return contact_id


def check_lead(sandbox: AmoSandbox, raw: Mapping[str, Any], request_id: str) -> None:
    """Validate before anything is written: a bad element fails the whole request."""
    normalized_values(raw.get("custom_fields_values"), sandbox.fields, request_id)
    check_stage(sandbox, raw, request_id)
    check_responsible(sandbox, raw, request_id)
    for index, contact in enumerate((raw.get("_embedded") or {}).get("contacts") or []):
        prefix = f"_embedded.contacts.{index}."
        check_responsible(sandbox, contact, request_id, prefix)
        if contact.get("id") is None:
            normalized_values(
                contact.get("custom_fields_values"), sandbox.contact_fields, request_id, prefix
            )


def create_lead(
    sandbox: AmoSandbox, raw: Mapping[str, Any], request_id: str, user_id: int | None = None
) -> dict[str, Any]:
    """`user_id`: who acts (the token's user); responsible unless the deal names another."""
    embedded = raw.get("_embedded") or {}
    contact_ids = []
    for index, contact in enumerate(embedded.get("contacts") or []):
        if contact.get("id") is not None:
            contact_ids.append(int(contact["id"]))
        else:
            prefix = f"_embedded.contacts.{index}."
            contact_ids.append(create_contact(sandbox, contact, request_id, prefix, user_id))
    pipeline_id = int(raw.get("pipeline_id") or sandbox.main_pipeline())
    now = int(sandbox.now())
    lead_id = sandbox.next_id()
    responsible = _responsible(sandbox, raw, user_id)
    lead = {
        "id": lead_id,
        "name": raw.get("name") or f"Сделка #{lead_id}",
        "price": int(raw.get("price") or 0),
        "responsible_user_id": responsible,
        "group_id": sandbox.users.group_id(responsible),
        "status_id": int(raw.get("status_id") or sandbox.first_status(pipeline_id)),
        "pipeline_id": pipeline_id,
        "loss_reason_id": None,
        "created_by": 0,
        "updated_by": 0,
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
        "closest_task_at": None,
        "is_deleted": False,
        "score": None,
        "account_id": sandbox.config.account_id,
        "labor_cost": None,
        "custom_fields_values": normalized_values(
            raw.get("custom_fields_values"), sandbox.fields, request_id
        ),
        "_tags": [
            _tag(sandbox, tag) for tag in embedded.get("tags") or raw.get("tags_to_add") or []
        ],
        "_contacts": contact_ids,
    }
    sandbox.leads[lead_id] = lead
    sandbox.webhooks.lead_changed("add", lead, now)
    return lead


def check_stage(
    sandbox: AmoSandbox, raw: Mapping[str, Any], request_id: str, current: int | None = None
) -> None:
    """The pipeline must exist and hold the status (142 and 143 are in every pipeline)."""
    pipeline_id = raw.get("pipeline_id") or current or sandbox.main_pipeline()
    pipeline = sandbox.pipelines.get(int(pipeline_id))
    if pipeline is None:
        raise ValidationFailed([error(request_id, "NotSupportedChoice", "pipeline_id", UNKNOWN)])
    status_id = raw.get("status_id")
    if status_id is not None and int(status_id) not in pipeline["statuses"]:
        raise ValidationFailed([error(request_id, "NotSupportedChoice", "status_id", UNKNOWN)])


def check_update(
    sandbox: AmoSandbox, lead: Mapping[str, Any], raw: Mapping[str, Any], request_id: str
) -> list[dict[str, Any]] | None:
    """Validate a PATCH element before anything is written; its normalized field values."""
    check_stage(sandbox, raw, request_id, current=lead["pipeline_id"])
    check_responsible(sandbox, raw, request_id)
    if "custom_fields_values" not in raw:
        return None
    return normalized_values(raw["custom_fields_values"], sandbox.fields, request_id)


def update_lead(
    sandbox: AmoSandbox, lead: dict[str, Any], raw: Mapping[str, Any], request_id: str = "0"
) -> None:
    """Apply one PATCH element; a ValidationFailed leaves the deal exactly as it was."""
    values = check_update(sandbox, lead, raw, request_id)
    before = (lead["status_id"], lead["pipeline_id"])
    # null is "not given" (shapes.py), except where it clears: the loss reason, the fields.
    for key in ("name", "price", "pipeline_id", "status_id"):
        if raw.get(key) is not None:
            lead[key] = raw[key]
    if "loss_reason_id" in raw:
        lead["loss_reason_id"] = raw["loss_reason_id"]
    if "custom_fields_values" in raw:
        lead["custom_fields_values"] = values
    if raw.get("responsible_user_id") is not None:
        lead["responsible_user_id"] = int(raw["responsible_user_id"])
        lead["group_id"] = sandbox.users.group_id(lead["responsible_user_id"])
    now = int(sandbox.now())
    lead["updated_at"] = now
    if (lead["status_id"], lead["pipeline_id"]) != before:
        lead["closed_at"] = now if lead["status_id"] in CLOSED else None
        sandbox.record_status_change(lead, before)
    sandbox.webhooks.lead_changed("update", lead, now)


def _responsible(sandbox: AmoSandbox, raw: Mapping[str, Any], user_id: int | None) -> int:
    """The named user, else the acting one: amoCRM's default is the current user."""
    named = raw.get("responsible_user_id")
    if named is not None:
        return int(named)
    return user_id if user_id is not None else sandbox.users.integration_id


def _tag(sandbox: AmoSandbox, tag: Mapping[str, Any]) -> dict[str, Any]:
    name = str(tag.get("name") or tag.get("id"))
    if name not in sandbox.tags:
        sandbox.tags[name] = sandbox.next_id()
    return {"id": sandbox.tags[name], "name": name, "color": None}


def matches(lead: Mapping[str, Any], query: str) -> bool:
    """amoCRM's `query`: a substring of the name or of any field value (fuzzy on purpose)."""
    texts = [str(lead.get("name", "")), str(lead.get("id"))]
    for field in lead.get("custom_fields_values") or []:
        texts.extend(str(value.get("value")) for value in field.get("values") or [])
    return any(query.lower() in text.lower() for text in texts)
