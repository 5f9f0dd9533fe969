"""Admin endpoints of the sandbox (no auth, no limits): add leads, read state, inject faults."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from leadbridge.sandbox.avito.deps import sandbox_of
from leadbridge.sandbox.avito.errors import ApiError
from leadbridge.sandbox.avito.seller_changes import ChangeRefused
from leadbridge.sandbox.avito.state import DuplicateLeadError

router = APIRouter(prefix="/sandbox", tags=["sandbox"])

Probability = Annotated[float, Field(ge=0, le=1)]


class EvolutionChange(BaseModel):
    """Switches to flip; the ones left out keep their value. Unknown names are a 400.

    `breaking` sets all five breaking switches at once; a breaking switch named beside it wins.
    """

    model_config = ConfigDict(extra="forbid")

    extra_fields: bool | None = None
    new_status: bool | None = None
    renamed_enums: bool | None = None
    status_comment: bool | None = None
    new_status_name: str | None = Field(default=None, min_length=1)
    new_status_after: str | None = Field(default=None, min_length=1)
    breaking: bool | None = None
    renamed_fields: bool | None = None
    id_as_int: bool | None = None
    status_renamed: bool | None = None
    apply_v2: bool | None = None
    reason_codes: bool | None = None
    renamed_status_from: str | None = Field(default=None, min_length=1)
    renamed_status_to: str | None = Field(default=None, min_length=1)


class FaultChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error_rate: Probability | None = None
    latency_s: float | None = Field(default=None, ge=0)
    latency_jitter_s: float | None = Field(default=None, ge=0)
    burst_429_probability: Probability | None = None
    burst_429_length: int | None = Field(default=None, ge=1)
    apply_lost_answer_rate: Probability | None = None
    webhook_duplicate_probability: Probability | None = None
    webhook_reorder_probability: Probability | None = None
    webhook_reorder_hold_s: float | None = Field(default=None, ge=0)
    expire_tokens_at_request: int | None = Field(default=None, ge=1)


def _given(change: BaseModel, nullable: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """The knobs the body names; `null` clears only those that may be unset."""
    given = change.model_dump(exclude_unset=True)
    return {key: value for key, value in given.items() if value is not None or key in nullable}


@router.post("/leads")
async def add_lead(request: Request, lead: Annotated[dict[str, Any] | None, Body()] = None) -> Any:
    try:
        return sandbox_of(request).add_lead(lead)
    except DuplicateLeadError as error:
        raise ApiError(409, f"lead {error} already exists") from error


@router.post("/leads/{lead_id}/update")
async def update_lead(
    lead_id: str, request: Request, edit: Annotated[dict[str, Any] | None, Body()] = None
) -> Any:
    """The seller edits the request: the fields given replace the lead's (the nested objects
    `device`, `seller`, … merge); `{}` or no body lowers the buyout price by 5 %. Answers the
    change's feed row; 404 for an unknown lead, 409 for one the seller can no longer change."""
    try:
        return sandbox_of(request).update_lead(lead_id, edit or None)
    except ChangeRefused as error:
        raise ApiError(404 if error.missing else 409, str(error)) from error


@router.post("/leads/{lead_id}/withdraw")
async def withdraw_lead(lead_id: str, request: Request) -> Any:
    """The seller cancels the request on Avito; answers the change's feed row."""
    try:
        return sandbox_of(request).withdraw_lead(lead_id)
    except ChangeRefused as error:
        raise ApiError(404 if error.missing else 409, str(error)) from error


@router.get("/state")
async def state(request: Request) -> dict[str, Any]:
    return sandbox_of(request).state_json()


@router.post("/evolution")
async def change_evolution(request: Request, change: EvolutionChange) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    try:
        sandbox.set_evolution(**_given(change))
    except ValueError as error:
        raise ApiError(400, str(error)) from error
    return sandbox.config.evolution.to_json()


@router.post("/faults")
async def change_faults(request: Request, change: FaultChange) -> dict[str, Any]:
    """Set knobs of the fault profile; `expire_tokens_at_request` counts from the sandbox's
    start, and `null` clears it."""
    sandbox = sandbox_of(request)
    sandbox.set_faults(**_given(change, nullable={"expire_tokens_at_request"}))
    return {
        **sandbox.config.faults.to_json(),
        "webhook_duplicate_probability": sandbox.config.webhook_duplicate_probability,
    }


@router.post("/tokens/expire")
async def expire_tokens(request: Request) -> dict[str, Any]:
    tokens = sandbox_of(request).tokens
    tokens.expire_all()
    return tokens.to_json()


@router.post("/tokens/revoke")
async def revoke_tokens(request: Request) -> dict[str, Any]:
    tokens = sandbox_of(request).tokens
    tokens.revoke_all()
    return tokens.to_json()
