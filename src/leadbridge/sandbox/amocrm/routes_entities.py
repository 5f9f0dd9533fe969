"""/api/v4 reads of deals and contacts: lists with filters and `with`, one contact by id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import QueryParams

from leadbridge.sandbox.amocrm import views
from leadbridge.sandbox.amocrm.event_filters import values_of
from leadbridge.sandbox.amocrm.leads import matches
from leadbridge.sandbox.amocrm.routes_crm import hal, listing, sb

router = APIRouter(prefix="/api/v4")


@router.get("/leads")
async def list_leads(request: Request) -> Response:
    sandbox, params = sb(request), request.query_params
    leads = list(sandbox.leads.values())
    if "filter[pipeline_id]" in params:
        leads = [
            lead for lead in leads if lead["pipeline_id"] == int(params["filter[pipeline_id]"])
        ]
    wanted_ids = filter_ids(params)
    if wanted_ids:
        leads = [lead for lead in leads if lead["id"] in wanted_ids]
    responsible = {int(v) for v in values_of(params, "responsible_user_id") if v.isdigit()}
    if responsible:
        leads = [lead for lead in leads if lead["responsible_user_id"] in responsible]
    if "query" in params:
        leads = [lead for lead in leads if matches(lead, params["query"])]
    since = params.get("filter[updated_at][from]")
    if since is not None:
        leads = [lead for lead in leads if lead["updated_at"] >= int(since)]
    until = params.get("filter[updated_at][to]")
    if until is not None:
        leads = [lead for lead in leads if lead["updated_at"] <= int(until)]
    with_contacts = "contacts" in params.get("with", "").split(",")
    rendered = [views.lead_json(lead, with_contacts=with_contacts) for lead in leads]
    return listing(request, rendered, "leads")


def filter_ids(params: QueryParams) -> set[int]:
    """`filter[id]=1`, `filter[id][]=1&filter[id][]=2` and `filter[id][0]=1` all work."""
    values = [
        value
        for key, value in params.multi_items()
        if key == "filter[id]" or key.startswith("filter[id][")
    ]
    return {int(value) for value in values if value.strip().isdigit()}


@router.get("/contacts")
async def contacts(request: Request) -> Response:
    items = [contact_json(c) for c in sb(request).contacts.values()]
    return listing(request, items, "contacts")


@router.get("/contacts/{contact_id:int}")
async def contact(contact_id: int, request: Request) -> Response:
    """204 for a missing id, like every v4 single-entity read."""
    sandbox = sb(request)
    found = sandbox.contacts.get(contact_id)
    if found is None:
        return hal(None)
    body = contact_json(found)
    if "leads" in request.query_params.get("with", "").split(","):
        linked = [lead["id"] for lead in sandbox.leads.values() if contact_id in lead["_contacts"]]
        body["_embedded"] = {"leads": [{"id": lead_id} for lead_id in linked]}
    return hal(body)


def contact_json(contact: dict[str, Any]) -> dict[str, Any]:
    return {**contact, "_links": {"self": {"href": f"/api/v4/contacts/{contact['id']}"}}}
