"""/api/v4/tasks (amoCRM's tasks-api): list with filters, one by id, create in batches, edit or
complete in batches or one at a time. Every element is checked before any is written."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from leadbridge.sandbox.amocrm import views
from leadbridge.sandbox.amocrm.batch_writes import checked_ids, created
from leadbridge.sandbox.amocrm.routes_crm import MAX_BATCH, actor, hal, listing, sb
from leadbridge.sandbox.amocrm.shapes import read_batch, read_object, request_id
from leadbridge.sandbox.amocrm.tasks import check_task, create_task, filter_tasks, update_task
from leadbridge.sandbox.amocrm.users import UNKNOWN
from leadbridge.sandbox.amocrm.validation import ValidationFailed, error
from leadbridge.sandbox.amocrm.write_specs import NEW_TASK, TASK_CHANGE, TASK_IN_BATCH_UPDATE

router = APIRouter(prefix="/api/v4")


def _link(task_id: int) -> dict[str, Any]:
    return {"self": {"href": f"/api/v4/tasks/{task_id}"}}


@router.get("/tasks")
async def tasks(request: Request) -> Response:
    found = filter_tasks(sb(request).tasks.values(), request.query_params)
    return listing(request, [views.task_json(task) for task in found], "tasks")


@router.get("/tasks/{task_id:int}")
async def task(task_id: int, request: Request) -> Response:
    """204 for a missing id, like every v4 single-entity read."""
    found = sb(request).tasks.get(task_id)
    return hal(views.task_json(found) if found else None)


@router.post("/tasks")
async def add_tasks(request: Request) -> Response:
    sandbox, body = sb(request), await read_batch(request, NEW_TASK, MAX_BATCH)
    ids = checked_ids(body, lambda raw, rid: check_task(sandbox, raw, rid))
    user = actor(request)
    return hal(created("tasks", body, ids, lambda raw, _rid: create_task(sandbox, raw, user)["id"]))


@router.patch("/tasks")
async def patch_tasks(request: Request) -> Response:
    """Every element names an existing task (amoCRM's error 231, "tasks not found"); a batch
    with an unknown one changes nothing."""
    sandbox, body = sb(request), await read_batch(request, TASK_IN_BATCH_UPDATE, MAX_BATCH)
    found = []
    for index, raw in enumerate(body):
        rid, current = request_id(raw, index), sandbox.tasks.get(raw["id"])
        if current is None:
            raise ValidationFailed([error(rid, "NotSupportedChoice", "id", UNKNOWN)])
        check_task(sandbox, raw, rid, current)
        found.append((current, raw, rid))
    updated, user = [], actor(request)
    for current, raw, rid in found:
        update_task(sandbox, current, raw, user)
        updated.append(
            {
                "id": current["id"],
                "updated_at": current["updated_at"],
                "request_id": rid,
                "_links": _link(current["id"]),
            }
        )
    return hal({"_links": {"self": {"href": "/api/v4/tasks"}}, "_embedded": {"tasks": updated}})


@router.patch("/tasks/{task_id:int}")
async def patch_task(task_id: int, request: Request) -> Response:
    """`{"is_completed": true, "result": {"text": "…"}}` completes the task (tasks-api)."""
    sandbox, body = sb(request), await read_object(request, TASK_CHANGE)
    current = sandbox.tasks.get(task_id)
    if current is None:
        return Response(status_code=204)  # as PATCH /leads/{id} answers a missing deal
    check_task(sandbox, body, "0", current)
    update_task(sandbox, current, body, actor(request))
    return hal(
        {
            "id": task_id,
            "updated_at": current["updated_at"],
            "request_id": "0",
            "_links": _link(task_id),
        }
    )
