"""What a seller's change on Avito writes to its deal: the deal's fields again (an edit), the
move to the lost stage with a loss reason (a withdrawal), a note, and an urgent task.

The deal's fields are shaped as when it was created (`amocrm/deal_payload.py`), from the lead
as it now stands; every field of the card is sent, so a field the edit left alone is written
with the value it already has.
"""

from __future__ import annotations

from datetime import datetime

from leadbridge.amocrm.answers import Json
from leadbridge.amocrm.deal_payload import DealPlacement, custom_fields_values, deal_name
from leadbridge.amocrm.tasks import call_task
from leadbridge.store.tables import Lead


def fields_update(lead: Lead, placement: DealPlacement) -> Json:
    """The element of `PATCH /api/v4/leads` that gives the deal the lead's current card."""
    assert lead.amo_lead_id is not None, "a change reaches a deal only once it exists"
    return {
        "id": lead.amo_lead_id,
        "name": deal_name(lead),
        "price": lead.buyout_price_kopecks // 100,
        "custom_fields_values": custom_fields_values(lead, placement.field_ids, placement.enum_ids),
    }


def closing_as_lost(
    deal_id: int, pipeline_id: int, lost_status_id: int, reason_id: int | None
) -> Json:
    """Without `reason_id` (a funnel without the withdrawal's reason) the deal closes without
    one, rather than with a reason that means something else."""
    body: Json = {"id": deal_id, "pipeline_id": pipeline_id, "status_id": lost_status_id}
    if reason_id is not None:
        body["loss_reason_id"] = reason_id
    return body


def text_note(deal_id: int, text: str) -> Json:
    """The element of `POST /api/v4/leads/notes` of a plain note on the deal."""
    return {"entity_id": deal_id, "note_type": "common", "params": {"text": text}}


def urgent_task(
    request_id: str, deal_id: int, text: str, due: datetime, responsible: int | None
) -> Json:
    """A call task due `due` (now: it is overdue at once, on top of the manager's list); without
    `responsible`, amoCRM gives it to the acting user, as the deal's owner then is."""
    return call_task(request_id, deal_id, text, due, responsible)
