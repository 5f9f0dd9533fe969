"""/api/v4 routes: leads, notes, events, webhooks, and the helpers every route module shares."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from leadbridge.sandbox.amocrm import notes, views
from leadbridge.sandbox.amocrm.event_filters import filter_events
from leadbridge.sandbox.amocrm.faults import GATEWAY_TIMEOUT
from leadbridge.sandbox.amocrm.leads import check_lead, check_update, create_lead, update_lead
from leadbridge.sandbox.amocrm.state import AmoSandbox
from leadbridge.sandbox.amocrm.validation import ValidationFailed, error

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


def too_many(count: int, limit: int) -> None:
    if count > limit:
        raise ValidationFailed(
            [error("0", "TooManyEntities", "", f"At most {limit} entities per request")]
        )


def paging(request: Request, cap: int = MAX_LIMIT) -> tuple[int, int]:
    page = max(int(request.query_params.get("page", 1)), 1)
    limit = min(max(int(request.query_params.get("limit", 50)), 1), cap)
    return page, limit


def listing(request: Request, items: list[Any], key: str, cap: int = MAX_LIMIT) -> Response:
    """One page of `items` as HAL, links absolute and keeping the other query parameters."""
    page, limit = paging(request, cap)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "limit")]
    path = str(request.url.replace(query=""))
    return hal(views.page(items, key, path, page, limit, query=kept))


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
    sandbox, body = sb(request), await request.json()
    too_many(len(body), MAX_COMPLEX)
    if sandbox.faults.complex_times_out(len(body)):
        # Too big to finish in time: nothing is written, the client should shrink the batch.
        return HTMLResponse(GATEWAY_TIMEOUT, status_code=504)
    for index, raw in enumerate(body):
        check_lead(sandbox, raw, str(raw.get("request_id", index)))
    sandbox.stats.complex_batches.append(len(body))
    answer = []
    for index, raw in enumerate(body):
        request_id = str(raw.get("request_id", index))
        lead = create_lead(sandbox, raw, request_id)
        answer.append(
            {
                "id": lead["id"],
                "contact_id": (lead["_contacts"] or [None])[0],
                "company_id": None,
                "request_id": [request_id],
                "merged": False,
            }
        )
    return JSONResponse(answer)


@router.post("/leads")
async def add_leads(request: Request) -> Response:
    sandbox, body = sb(request), await request.json()
    too_many(len(body), MAX_BATCH)
    for index, raw in enumerate(body):
        check_lead(sandbox, raw, str(raw.get("request_id", index)))
    created = []
    for index, raw in enumerate(body):
        lead = create_lead(sandbox, raw, str(raw.get("request_id", index)))
        created.append(
            {
                "id": lead["id"],
                "request_id": str(raw.get("request_id", index)),
                "_links": {"self": {"href": f"/api/v4/leads/{lead['id']}"}},
            }
        )
    return hal({"_links": {"self": {"href": "/api/v4/leads"}}, "_embedded": {"leads": created}})


@router.patch("/leads/{lead_id}")
async def patch_lead(lead_id: int, request: Request) -> Response:
    sandbox = sb(request)
    lead = sandbox.leads.get(lead_id)
    if lead is None:
        return Response(status_code=204)
    update_lead(sandbox, lead, await request.json())
    return hal(
        {
            "id": lead_id,
            "updated_at": lead["updated_at"],
            "_links": {"self": {"href": f"/api/v4/leads/{lead_id}"}},
        }
    )


@router.patch("/leads")
async def patch_leads(request: Request) -> Response:
    sandbox, body = sb(request), await request.json()
    too_many(len(body), MAX_BATCH)
    found = [(sandbox.leads.get(int(raw["id"])), raw) for raw in body]
    for index, (lead, raw) in enumerate(found):
        if lead is not None:  # every element is checked before any is written
            check_update(sandbox, lead, raw, str(raw.get("request_id", index)))
    updated = []
    for lead, raw in found:
        if lead is not None:
            update_lead(sandbox, lead, raw)
            updated.append({"id": lead["id"], "updated_at": lead["updated_at"]})
    return hal({"_embedded": {"leads": updated}})


@router.post("/leads/notes")
async def add_notes(request: Request) -> Response:
    return hal(notes.add_notes(sb(request), await request.json()))


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
    body = await request.json()
    hook = sb(request).webhooks.subscribe(
        body["destination"], body.get("settings", []), int(body.get("sort", 10))
    )
    return hal(hook, status=201)
