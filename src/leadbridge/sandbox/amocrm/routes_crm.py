"""/api/v4 routes: leads, notes, events, webhooks, and the helpers every route module shares."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from leadbridge.sandbox.amocrm import notes, views
from leadbridge.sandbox.amocrm.batch_writes import checked_ids, created
from leadbridge.sandbox.amocrm.event_filters import filter_events
from leadbridge.sandbox.amocrm.faults import GATEWAY_TIMEOUT
from leadbridge.sandbox.amocrm.leads import check_lead, check_update, create_lead, update_lead
from leadbridge.sandbox.amocrm.shapes import given, read_batch, read_object, request_id
from leadbridge.sandbox.amocrm.state import AmoSandbox
from leadbridge.sandbox.amocrm.users import acting_user
from leadbridge.sandbox.amocrm.write_specs import LEAD, LEAD_IN_BATCH_UPDATE, NOTE, WEBHOOK

router = APIRouter(prefix="/api/v4")
HAL = "application/hal+json"
MAX_COMPLEX, MAX_BATCH, MAX_LIMIT, MAX_EVENTS = 50, 250, 250, 100


def sb(request: Request) -> AmoSandbox:
    sandbox = request.app.state.sandbox
    assert isinstance(sandbox, AmoSandbox)
    return sandbox


def hal(body: Any, status: int = 200) -> Response:
    if body is None:
        return Response(status_code=204)
    return JSONResponse(body, status_code=status, media_type=HAL)


def actor(request: Request) -> int:
    """The user the request acts as (its token's), amoCRM's default responsible user."""
    return acting_user(sb(request), request.headers.get("authorization", ""))


def paging(request: Request, cap: int = MAX_LIMIT) -> tuple[int, int]:
    page = max(int(request.query_params.get("page", 1)), 1)
    limit = min(max(int(request.query_params.get("limit", 50)), 1), cap)
    return page, limit


def listing(
    request: Request, items: list[Any], key: str, cap: int = MAX_LIMIT, *, totals: bool = False
) -> Response:
    """One page of `items` as HAL, links absolute and keeping the other query parameters;
    `totals` adds `_total_items` and `_page_count`, as the users list has them."""
    page, limit = paging(request, cap)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "limit")]
    path = str(request.url.replace(query=""))
    body = views.page(items, key, path, page, limit, query=kept)
    if body is not None and totals:
        body = {"_total_items": len(items), "_page_count": -(-len(items) // limit), **body}
    return hal(body)


@router.get("/account")
async def account(request: Request) -> Response:
    config = sb(request).config
    return hal(
        {
            "id": config.account_id,
            "name": "leadbridge demo",
            "subdomain": config.subdomain,
            "current_user_id": 1,
            "country": "RU",
            "is_unsorted_on": False,
            "is_loss_reason_enabled": True,
            "is_api_filter_enabled": True,
            "amojo_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"amojo:{config.account_id}")),
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"account:{config.account_id}")),
            "version": 11,
        }
    )


@router.get("/leads/{lead_id}")
async def get_lead(lead_id: int, request: Request) -> Response:
    lead = sb(request).leads.get(lead_id)
    return hal(views.lead_json(lead) if lead else None)


@router.post("/leads/complex")
async def complex_create(request: Request) -> Response:
    sandbox, body = sb(request), await read_batch(request, LEAD, MAX_COMPLEX)
    if sandbox.faults.complex_times_out(len(body)):
        # Too big to finish in time: nothing is written, the client should shrink the batch.
        return HTMLResponse(GATEWAY_TIMEOUT, status_code=504)
    ids = checked_ids(body, lambda raw, rid: check_lead(sandbox, raw, rid))
    sandbox.stats.complex_batches.append(len(body))
    answer, user = [], actor(request)
    for raw, rid in zip(body, ids, strict=True):
        lead = create_lead(sandbox, raw, rid, user)
        answer.append(
            {
                "id": lead["id"],
                "contact_id": (lead["_contacts"] or [None])[0],
                "company_id": None,
                "request_id": [rid],
                "merged": False,
            }
        )
    return JSONResponse(answer)


@router.post("/leads")
async def add_leads(request: Request) -> Response:
    sandbox, body = sb(request), await read_batch(request, LEAD, MAX_BATCH)
    ids = checked_ids(body, lambda raw, rid: check_lead(sandbox, raw, rid))
    user = actor(request)
    return hal(
        created("leads", body, ids, lambda raw, rid: create_lead(sandbox, raw, rid, user)["id"])
    )


@router.patch("/leads/{lead_id}")
async def patch_lead(lead_id: int, request: Request) -> Response:
    sandbox, body = sb(request), await read_object(request, LEAD)
    lead = sandbox.leads.get(lead_id)
    if lead is None:
        return Response(status_code=204)
    update_lead(sandbox, lead, body)
    return hal(
        {
            "id": lead_id,
            "updated_at": lead["updated_at"],
            "_links": {"self": {"href": f"/api/v4/leads/{lead_id}"}},
        }
    )


@router.patch("/leads")
async def patch_leads(request: Request) -> Response:
    sandbox, body = sb(request), await read_batch(request, LEAD_IN_BATCH_UPDATE, MAX_BATCH)
    found = [(sandbox.leads.get(raw["id"]), raw, request_id(raw, i)) for i, raw in enumerate(body)]
    for lead, raw, rid in found:
        if lead is not None:  # every element is checked before any is written
            check_update(sandbox, lead, raw, rid)
    updated = []
    for lead, raw, rid in found:
        if lead is not None:
            update_lead(sandbox, lead, raw, rid)
            updated.append({"id": lead["id"], "updated_at": lead["updated_at"]})
    return hal({"_embedded": {"leads": updated}})


@router.post("/leads/notes")
async def add_notes(request: Request) -> Response:
    return hal(notes.add_notes(sb(request), await read_batch(request, NOTE, MAX_BATCH)))


@router.get("/events")
async def events(request: Request) -> Response:
    items = filter_events(sb(request).events, request.query_params)
    return listing(request, items, "events", MAX_EVENTS)


@router.get("/webhooks")
async def webhooks(request: Request) -> Response:
    hooks = list(sb(request).webhooks.hooks.values())
    wanted = request.query_params.get("filter[destination]")
    if wanted is not None:
        hooks = [h for h in hooks if h["destination"] == wanted]
    return hal({"_total_items": len(hooks), "_embedded": {"webhooks": hooks}})


@router.post("/webhooks")
async def subscribe(request: Request) -> Response:
    body = await read_object(request, WEBHOOK)
    hook = sb(request).webhooks.subscribe(
        body["destination"], given(body, "settings", []), given(body, "sort", 10)
    )
    return hal(hook, status=201)
