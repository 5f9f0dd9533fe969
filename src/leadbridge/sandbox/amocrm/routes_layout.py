"""/api/v4 routes of the account's layout: pipelines and their statuses, custom fields and loss
reasons — what `leadbridge setup` provisions and a person may rename."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from leadbridge.sandbox.amocrm import views
from leadbridge.sandbox.amocrm.routes_crm import hal, listing, sb
from leadbridge.sandbox.amocrm.shapes import given, read_batch, read_object, request_id
from leadbridge.sandbox.amocrm.state import AmoSandbox
from leadbridge.sandbox.amocrm.validation import ValidationFailed, error
from leadbridge.sandbox.amocrm.write_specs import (
    CUSTOM_FIELD,
    LOSS_REASON,
    PIPELINE,
    STATUS,
    STATUS_CHANGE,
)

router = APIRouter(prefix="/api/v4")
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
    sandbox, body = sb(request), await read_batch(request, PIPELINE)
    if len(sandbox.pipelines) + len(body) > 50:
        raise ValidationFailed([error("0", "PipelinesLimit", "", "At most 50 pipelines")])
    _check_colors([status for raw in body for status in _statuses_of(raw)])
    created = []
    for index, raw in enumerate(body):
        pipeline = sandbox.add_pipeline(
            raw["name"], is_main=bool(raw.get("is_main")), sort=given(raw, "sort", 1)
        )
        for status in _statuses_of(raw):
            sandbox.add_status(
                pipeline["id"],
                status["name"],
                given(status, "sort", 100),
                given(status, "color", "#fffeb2"),
            )
        created.append({**views.pipeline_json(pipeline), "request_id": request_id(raw, index)})
    return hal({"_total_items": len(created), "_embedded": {"pipelines": created}})


@router.post("/leads/pipelines/{pipeline_id}/statuses")
async def add_statuses(pipeline_id: int, request: Request) -> Response:
    sandbox, body = sb(request), await read_batch(request, STATUS)
    if pipeline_id not in sandbox.pipelines:
        return Response(status_code=404)
    _check_colors(body)
    if len(sandbox.pipelines[pipeline_id]["statuses"]) + len(body) > 100:
        raise ValidationFailed([error("0", "StatusesLimit", "", "At most 100 statuses")])
    created = [
        {
            **views.status_json(
                sandbox.add_status(
                    pipeline_id, s["name"], given(s, "sort", 100), given(s, "color", "#fffeb2")
                )
            ),
            "request_id": request_id(s, i),
        }
        for i, s in enumerate(body)
    ]
    return hal({"_total_items": len(created), "_embedded": {"statuses": created}})


@router.patch("/leads/pipelines/{pipeline_id}/statuses/{status_id}")
async def rename_status(pipeline_id: int, status_id: int, request: Request) -> Response:
    statuses = sb(request).pipelines.get(pipeline_id, {}).get("statuses", {})
    if status_id not in statuses:
        return Response(status_code=404)
    body = await read_object(request, STATUS_CHANGE)
    _check_colors([body])
    changes = {k: body[k] for k in ("name", "sort", "color") if body.get(k) is not None}
    statuses[status_id].update(changes)
    return hal(views.status_json(statuses[status_id]))


def _statuses_of(pipeline: dict[str, Any]) -> list[dict[str, Any]]:
    statuses: list[dict[str, Any]] = (pipeline.get("_embedded") or {}).get("statuses") or []
    return statuses


def _check_colors(statuses: list[dict[str, Any]]) -> None:
    for index, status in enumerate(statuses):
        if status.get("color") is not None and status["color"] not in PALETTE:
            raise ValidationFailed(
                [error(str(index), "NotSupportedChoice", "color", "Unknown color")]
            )


@router.get("/{entity}/custom_fields")
async def custom_fields(entity: str, request: Request) -> Response:
    return listing(request, list(_registry(sb(request), entity).values()), "custom_fields")


@router.post("/{entity}/custom_fields")
async def add_custom_fields(entity: str, request: Request) -> Response:
    sandbox, body = sb(request), await read_batch(request, CUSTOM_FIELD)
    fields, created = _registry(sandbox, entity), []
    for index, raw in enumerate(body):
        field_id = sandbox.next_id()
        enums = [
            {"id": sandbox.next_id(), "value": e["value"], "sort": given(e, "sort", i)}
            for i, e in enumerate(raw.get("enums") or [])
        ] or None
        fields[field_id] = {
            "id": field_id,
            "name": raw["name"],
            "code": raw.get("code"),
            "type": raw["type"],
            "sort": given(raw, "sort", 500),
            "is_predefined": False,
            "entity_type": entity,
            "enums": enums,
        }
        created.append({**fields[field_id], "request_id": request_id(raw, index)})
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
    sandbox, body, created = sb(request), await read_batch(request, LOSS_REASON), []
    for raw in body:
        reason_id = sandbox.next_id()
        now = int(sandbox.now())
        sandbox.loss_reasons[reason_id] = {
            "id": reason_id,
            "name": raw["name"],
            "sort": given(raw, "sort", 0),
            "created_at": now,
            "updated_at": now,
        }
        created.append(sandbox.loss_reasons[reason_id])
    return hal({"_embedded": {"loss_reasons": created}})
