"""The partner API: token, lead feed, webhook, status apply and read-back, settlement, reasons.

Each route is limited under its key in `AvitoSandboxConfig.method_rps`, then given the fault
profile's verdict, then authorized. Status apply has two paths: v1, and the v2 the `apply_v2`
switch moves it to (`switched_routes.py` makes each appear or answer 410).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from leadbridge.sandbox.avito.deps import inject_faults, limited, require_token, sandbox_of
from leadbridge.sandbox.avito.errors import ApiError
from leadbridge.sandbox.avito.evolution import EvolutionSwitches
from leadbridge.sandbox.avito.settlement import PeriodError
from leadbridge.sandbox.avito.state import ChangeRecord, LeadRecord
from leadbridge.sandbox.avito.switched_routes import gone_while, present_while

FEED_PATH = "/partner/buyout/v1/leads/get"
WEBHOOK_PATH = "/partner/buyout/v1/webhook"
APPLY_PATH = "/partner/buyout/v1/leads/statuses/apply"
APPLY_V2_PATH = "/partner/buyout/v2/leads/statuses/apply"
APPLY_GONE_MESSAGE = f"gone: status apply moved to {APPLY_V2_PATH}"
REASONS_PATH = "/partner/buyout/v1/dictionaries/reasons"
STATUS_PATH = "/partner/buyout/v1/leads/{lead_id}/status"
SETTLEMENT_PATH = "/partner/buyout/v1/settlements"
MAX_BATCH = 100


class FeedRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    last_id: int | None = Field(default=None, alias="lastId", ge=0)
    limit: int = Field(default=100, ge=1, le=MAX_BATCH)


class WebhookRequest(BaseModel):
    url: str = Field(pattern=r"^https?://\S+$")
    secret: str = Field(min_length=1)


class ApplyRequest(BaseModel):
    items: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


def guarded(method: str) -> list[Any]:
    """Limit first (every request counts), then faults, then the token."""
    return [*tokenless(method), Depends(require_token)]


def tokenless(method: str) -> list[Any]:
    return [Depends(limited(method)), Depends(inject_faults)]


router = APIRouter()


@router.post("/token", dependencies=tokenless("token"))
@router.post("/token/", dependencies=tokenless("token"), include_in_schema=False)
async def issue_token(request: Request) -> dict[str, Any]:
    form = {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}
    sandbox = sandbox_of(request)
    config = sandbox.config
    if form.get("grant_type") != "client_credentials":
        raise ApiError(400, "unsupported grant_type")
    if (form.get("client_id"), form.get("client_secret")) != (
        config.client_id,
        config.client_secret,
    ):
        raise ApiError(400, "invalid client credentials")
    token = sandbox.tokens.issue(config.token_ttl_s)
    return {"access_token": token, "expires_in": round(config.token_ttl_s), "token_type": "Bearer"}


@router.post(FEED_PATH, dependencies=guarded("leads_get"))
async def get_leads(body: FeedRequest, request: Request) -> dict[str, Any]:
    records = sandbox_of(request).book.page(body.last_id, body.limit)
    last_id = records[-1].position if records else body.last_id
    return {"result": [feed_row(record) for record in records], "pagination": {"lastId": last_id}}


def feed_row(record: LeadRecord | ChangeRecord) -> dict[str, Any]:
    """A new lead's row as it always was; a seller's change says its type beside the lead."""
    if isinstance(record, ChangeRecord):
        return record.feed_row()
    return {"id": record.position, "lead": record.payload}


@router.put(WEBHOOK_PATH, dependencies=guarded("webhook"))
async def put_webhook(body: WebhookRequest, request: Request) -> dict[str, Any]:
    webhooks = sandbox_of(request).webhooks
    if not await webhooks.register(body.url, body.secret):
        raise ApiError(400, "webhook url did not answer the {} ping with 2xx in time")
    return webhooks.to_json()


@router.get(WEBHOOK_PATH, dependencies=guarded("webhook"))
async def get_webhook(request: Request) -> dict[str, Any]:
    return sandbox_of(request).webhooks.to_json()


@router.delete(WEBHOOK_PATH, dependencies=guarded("webhook"))
async def delete_webhook(request: Request) -> dict[str, Any]:
    webhooks = sandbox_of(request).webhooks
    webhooks.unregister()
    return webhooks.to_json()


async def apply_statuses(body: ApplyRequest, request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    result = sandbox.apply_statuses(body.items)
    if sandbox.faults.lose_answer():
        raise ApiError(502, "Bad gateway")  # applied all the same: the ambiguous failure
    return {"result": result}


def _moved_to_v2(switches: EvolutionSwitches) -> bool:
    return switches.apply_v2


# One method behind two paths, counted in one bucket: a client moving to v2 keeps its limit.
router.add_api_route(
    APPLY_PATH,
    apply_statuses,
    methods=["POST"],
    dependencies=guarded("status_apply"),
    route_class_override=gone_while(_moved_to_v2, APPLY_GONE_MESSAGE),
)
router.add_api_route(
    APPLY_V2_PATH,
    apply_statuses,
    methods=["POST"],
    dependencies=guarded("status_apply"),
    route_class_override=present_while(_moved_to_v2),
)


@router.get(STATUS_PATH, dependencies=guarded("status_get"))
async def get_status(lead_id: str, request: Request) -> dict[str, Any]:
    read_back = sandbox_of(request).read_back(lead_id)
    if read_back is None:
        raise ApiError(404, f"lead {lead_id!r} not found")
    return read_back


@router.get(REASONS_PATH, dependencies=guarded("dictionaries"))
async def get_reasons(request: Request) -> dict[str, Any]:
    """Served whatever the switches say, so a client can learn the codes before they are due."""
    return {"result": [reason.to_json() for reason in sandbox_of(request).reasons]}


@router.get(SETTLEMENT_PATH, dependencies=guarded("settlement"))
async def get_settlement(
    request: Request,
    date_from: Annotated[date, Query(alias="dateFrom")],
    date_to: Annotated[date, Query(alias="dateTo")],
) -> dict[str, Any]:
    try:
        return sandbox_of(request).settlement(date_from, date_to)
    except PeriodError as error:
        raise ApiError(400, str(error)) from error
