"""/api/v4 routes: pipelines, fields, loss reasons, leads, contacts, notes, events, webhooks."""

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
PALETTE = frozenset(
    [
        "#fffeb2",
        "#fffd7f",
        "#fff000",
        "#ffeab2",
        "#ffdc7f",
        "#ffce5a",
        "#ffdbdb",
        "#ffc8c8",
        "#ff8f92",
        "#d6eaff",
        "#c1e0ff",
        "#98cbff",
        "#ebffb1",
        "#deff81",
        "#87f2c0",
        "#f9deff",
        "#f3beff",
        "#ccc8f9",
        "#eb93ff",
        "#f2f3f4",
        "#e6e8ea",
    ]
)


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


@router.get("/leads/pipelines")
async def pipelines(request: Request) -> Response:
    items = [views.pipeline_json(p) for p in sb(request).pipelines.values()]
    return hal(
        {
            "_total_items": len(items),
            "_links": {"self": {"href": "/api/v4/leads/pipelines"}},
            "_embedded": {"pipelines": items},
        }
    )


@router.post("/leads/pipelines")
async def add_pipelines(request: Request) -> Response:
    sandbox, body = sb(request), await request.json()
    if len(sandbox.pipelines) + len(body) > 50:
        raise ValidationFailed([error("0", "PipelinesLimit", "", "At most 50 pipelines")])
    _check_colors(
        body_statuses := [s for p in body for s in (p.get("_embedded") or {}).get("statuses", [])]
    )
    created = []
    for index, raw in enumerate(body):
        pipeline = sandbox.add_pipeline(
            raw["name"], is_main=bool(raw.get("is_main")), sort=int(raw.get("sort", 1))
        )
        for status in (raw.get("_embedded") or {}).get("statuses", []):
            sandbox.add_status(
                pipeline["id"],
                status["name"],
                int(status.get("sort", 100)),
                status.get("color", "#fffeb2"),
            )
        created.append(
            {**views.pipeline_json(pipeline), "request_id": str(raw.get("request_id", index))}
        )
    del body_statuses
    return hal({"_total_items": len(created), "_embedded": {"pipelines": created}})


@router.post("/leads/pipelines/{pipeline_id}/statuses")
async def add_statuses(pipeline_id: int, request: Request) -> Response:
    sandbox, body = sb(request), await request.json()
    if pipeline_id not in sandbox.pipelines:
        return Response(status_code=404)
    _check_colors(body)
    if len(sandbox.pipelines[pipeline_id]["statuses"]) + len(body) > 100:
        raise ValidationFailed([error("0", "StatusesLimit", "", "At most 100 statuses")])
    created = [
        {
            **views.status_json(
                sandbox.add_status(
                    pipeline_id, s["name"], int(s.get("sort", 100)), s.get("color", "#fffeb2")
                )
            ),
            "request_id": str(s.get("request_id", i)),
        }
        for i, s in enumerate(body)
    ]
    return hal({"_total_items": len(created), "_embedded": {"statuses": created}})


@router.patch("/leads/pipelines/{pipeline_id}/statuses/{status_id}")
async def rename_status(pipeline_id: int, status_id: int, request: Request) -> Response:
    statuses = sb(request).pipelines.get(pipeline_id, {}).get("statuses", {})
    if status_id not in statuses:
        return Response(status_code=404)
    body = await request.json()
    statuses[status_id].update({k: body[k] for k in ("name", "sort", "color") if k in body})
    return hal(views.status_json(statuses[status_id]))


def _check_colors(statuses: list[dict[str, Any]]) -> None:
    for index, status in enumerate(statuses):
        if "color" in status and status["color"] not in PALETTE:
            raise ValidationFailed(
                [error(str(index), "NotSupportedChoice", "color", "Unknown color")]
            )


@router.get("/{entity}/custom_fields")
async def custom_fields(entity: str, request: Request) -> Response:
    return listing(request, list(_registry(sb(request), entity).values()), "custom_fields")


@router.post("/{entity}/custom_fields")
async def add_custom_fields(entity: str, request: Request) -> Response:
    sandbox, body = sb(request), await request.json()
    fields, created = _registry(sandbox, entity), []
    for index, raw in enumerate(body):
        field_id = sandbox.next_id()
        enums = [
            {"id": sandbox.next_id(), "value": e["value"], "sort": e.get("sort", i)}
            for i, e in enumerate(raw.get("enums") or [])
        ] or None
        fields[field_id] = {
            "id": field_id,
            "name": raw["name"],
            "code": raw.get("code"),
            "type": raw["type"],
            "sort": raw.get("sort", 500),
            "is_predefined": False,
            "entity_type": entity,
            "enums": enums,
        }
        created.append({**fields[field_id], "request_id": str(raw.get("request_id", index))})
    return hal({"_total_items": len(created), "_embedded": {"custom_fields": created}})


def _registry(sandbox: AmoSandbox, entity: str) -> dict[int, dict[str, Any]]:
    return sandbox.contact_fields if entity == "contacts" else sandbox.fields


@router.get("/leads/loss_reasons")
async def loss_reasons(request: Request) -> Response:
    items = list(sb(request).loss_reasons.values())
    return hal(
        {"_total_items": len(items), "_embedded": {"loss_reasons": items}} if items else None
    )


@router.post("/leads/loss_reasons")
async def add_loss_reasons(request: Request) -> Response:
    sandbox, body, created = sb(request), await request.json(), []
    for raw in body:
        reason_id = sandbox.next_id()
        now = int(sandbox.now())
        sandbox.loss_reasons[reason_id] = {
            "id": reason_id,
            "name": raw["name"],
            "sort": raw.get("sort", 0),
            "created_at": now,
            "updated_at": now,
        }
        created.append(sandbox.loss_reasons[reason_id])
    return hal({"_embedded": {"loss_reasons": created}})


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
