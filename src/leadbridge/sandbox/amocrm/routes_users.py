"""/api/v4 reads of who works the account and where deals stand: users (amoCRM's users-api,
administrators only) and a pipeline's statuses (leads_pipelines, open to every user)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from leadbridge.sandbox.amocrm import views
from leadbridge.sandbox.amocrm.gateway import problem
from leadbridge.sandbox.amocrm.routes_crm import actor, hal, listing, sb

router = APIRouter(prefix="/api/v4")
FORBIDDEN = {
    "title": "Forbidden",
    "type": "https://httpstatus.es/403",
    "status": 403,
    "detail": "Не хватает прав для вызова данного метода",
}


def _with(request: Request) -> set[str]:
    return {part.strip() for part in request.query_params.get("with", "").split(",") if part}


def _not_admin(request: Request) -> Response | None:
    """users-api: "only with the account administrator's rights". The integration's own user is
    an administrator; a manager's session is not."""
    if sb(request).users.is_admin(actor(request)):
        return None
    return problem(FORBIDDEN, 403)


@router.get("/users")
async def users(request: Request) -> Response:
    refused = _not_admin(request)
    if refused is not None:
        return refused
    directory, extras = sb(request).users, _with(request)
    items = [directory.to_json(user_id, extras) for user_id in directory.users]
    return listing(request, items, "users", totals=True)


@router.get("/users/{user_id:int}")
async def user(user_id: int, request: Request) -> Response:
    """204 for an unknown id, like every v4 single-entity read."""
    refused = _not_admin(request)
    if refused is not None:
        return refused
    directory = sb(request).users
    if user_id not in directory.users:
        return hal(None)
    return hal(directory.to_json(user_id, _with(request)))


@router.get("/leads/pipelines/{pipeline_id:int}/statuses")
async def statuses(pipeline_id: int, request: Request) -> Response:
    """The pipeline's statuses in stage order; 204 for an unknown pipeline."""
    pipeline = sb(request).pipelines.get(pipeline_id)
    if pipeline is None:
        return hal(None)
    described = "descriptions" in _with(request)
    items = [
        {**views.status_json(status), **({"descriptions": []} if described else {})}
        for status in sorted(pipeline["statuses"].values(), key=lambda s: s["sort"])
    ]
    return hal({"_total_items": len(items), "_embedded": {"statuses": items}})


@router.get("/leads/pipelines/{pipeline_id:int}/statuses/{status_id:int}")
async def status(pipeline_id: int, status_id: int, request: Request) -> Response:
    found = sb(request).pipelines.get(pipeline_id, {}).get("statuses", {}).get(status_id)
    return hal(views.status_json(found) if found else None)
