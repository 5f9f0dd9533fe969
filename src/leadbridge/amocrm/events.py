"""amoCRM's events API (`lead_status_changed`) read as the same changes webhooks bring."""

from __future__ import annotations

from collections.abc import Iterable

from leadbridge.amocrm.answers import StatusEvent
from leadbridge.amocrm.webhook import LeadStatusChange


def change_from_event(event: StatusEvent, price: int | None) -> LeadStatusChange | None:
    """`value_before`/`value_after` hold exactly one `lead_status` each; anything else is not a
    status change we can use. The event carries no price: the caller passes the deal's."""
    before, after = event.before, event.after
    if after is None or event.deal_id is None:
        return None
    return LeadStatusChange(
        amo_lead_id=event.deal_id,
        status_id=after.status_id,
        pipeline_id=after.pipeline_id,
        old_status_id=before.status_id if before else None,
        old_pipeline_id=before.pipeline_id if before else None,
        price=price,
        modified_at=event.created_at,
    )


def in_amocrm_order(events: Iterable[StatusEvent]) -> list[StatusEvent]:
    """Oldest first; events of the same second by id, which sorts by creation."""
    return sorted(events, key=lambda event: (event.created_at or 0, event.id))
