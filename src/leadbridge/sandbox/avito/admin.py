"""Admin endpoints of the sandbox (no auth, no limits): add leads, read state, inject faults."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from leadbridge.sandbox.avito.deps import sandbox_of
from leadbridge.sandbox.avito.errors import ApiError
from leadbridge.sandbox.avito.state import DuplicateLeadError

router = APIRouter(prefix="/sandbox", tags=["sandbox"])


@router.post("/leads")
async def add_lead(request: Request, lead: Annotated[dict[str, Any] | None, Body()] = None) -> Any:
    try:
        return sandbox_of(request).add_lead(lead)
    except DuplicateLeadError as error:
        raise ApiError(409, f"lead {error} already exists") from error


@router.get("/state")
async def state(request: Request) -> dict[str, Any]:
    return sandbox_of(request).state_json()


@router.post("/tokens/expire")
async def expire_tokens(request: Request) -> dict[str, Any]:
    tokens = sandbox_of(request).tokens
    tokens.expire_all()
    return tokens.to_json()
