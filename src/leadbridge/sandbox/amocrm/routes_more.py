"""/api/v4 routes that complete the surface: one pipeline, contact creation, a deal's notes,
and removing a webhook."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from leadbridge.sandbox.amocrm import views
from leadbridge.sandbox.amocrm.batch_writes import Element, checked_ids, created
from leadbridge.sandbox.amocrm.leads import create_contact
from leadbridge.sandbox.amocrm.notes import add_notes, notes_of
from leadbridge.sandbox.amocrm.routes_crm import MAX_BATCH, actor, hal, listing, sb
from leadbridge.sandbox.amocrm.shapes import read_batch, read_object
from leadbridge.sandbox.amocrm.users import check_responsible
from leadbridge.sandbox.amocrm.validation import normalized_values
from leadbridge.sandbox.amocrm.write_specs import CONTACT, NOTE, WEBHOOK_REMOVAL

router = APIRouter(prefix="/api/v4")


@router.get("/leads/pipelines/{pipeline_id:int}")
async def pipeline(pipeline_id: int, request: Request) -> Response:
    found = sb(request).pipelines.get(pipeline_id)
    return hal(views.pipeline_json(found) if found else None)


@router.post("/contacts")
async def add_contacts(request: Request) -> Response:
    """No duplicate control, like amoCRM: the same phone twice makes two contacts."""
    sandbox, body = sb(request), await read_batch(request, CONTACT, MAX_BATCH)

    def check(raw: Element, rid: str) -> None:
        normalized_values(raw.get("custom_fields_values"), sandbox.contact_fields, rid)
        check_responsible(sandbox, raw, rid)

    ids = checked_ids(body, check)
    user = actor(request)
    return hal(
        created("contacts", body, ids, lambda raw, rid: create_contact(sandbox, raw, rid, "", user))
    )


@router.post("/leads/{lead_id:int}/notes")
async def add_lead_notes(lead_id: int, request: Request) -> Response:
    body = await read_batch(request, NOTE, MAX_BATCH)
    return hal(add_notes(sb(request), body, entity_id=lead_id))


@router.get("/leads/{lead_id:int}/notes")
async def lead_notes(lead_id: int, request: Request) -> Response:
    return listing(request, notes_of(sb(request), lead_id), "notes")


@router.delete("/webhooks")
async def unsubscribe(request: Request) -> Response:
    """Body `{"destination": url}`: 204, or 404 when no hook has that destination."""
    body = await read_object(request, WEBHOOK_REMOVAL)
    removed = sb(request).webhooks.hooks.pop(body["destination"], None)
    return Response(status_code=404 if removed is None else 204)
