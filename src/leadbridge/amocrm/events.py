"""amoCRM's events API (`lead_status_changed`) read as the same changes webhooks bring."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadbridge.amocrm.webhook import LeadStatusChange


def change_from_event(event: Mapping[str, Any], price: int | None) -> LeadStatusChange | None:
    """`value_before`/`value_after` hold exactly one `lead_status` each; anything else is not a
    status change we can use. The event carries no price: the caller passes the deal's."""
    before, after = _lead_status(event.get("value_before")), _lead_status(event.get("value_after"))
    if after is None or event.get("entity_id") is None:
        return None
    return LeadStatusChange(
        amo_lead_id=int(event["entity_id"]),
        status_id=int(after["id"]),
        pipeline_id=_int(after.get("pipeline_id")),
        old_status_id=_int(before["id"]) if before else None,
        old_pipeline_id=_int(before.get("pipeline_id")) if before else None,
        price=price,
        modified_at=_int(event.get("created_at")),
        raw=dict(event),
    )


def _lead_status(values: Any) -> Mapping[str, Any] | None:
    if not isinstance(values, list) or not values or not isinstance(values[0], Mapping):
        return None
    status = values[0].get("lead_status")
    return status if isinstance(status, Mapping) and "id" in status else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
