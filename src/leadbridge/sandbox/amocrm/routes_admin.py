"""Sandbox-only controls: start or lift an account block, set the fault profile."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from leadbridge.sandbox.amocrm.faults import FaultProfile
from leadbridge.sandbox.amocrm.state import AmoSandbox

router = APIRouter(prefix="/sandbox")


def _sandbox(request: Request) -> AmoSandbox:
    sandbox = request.app.state.sandbox
    assert isinstance(sandbox, AmoSandbox)
    return sandbox


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = await request.json() if raw.strip() else {}
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    return data if isinstance(data, dict) else {}


def _numbers(body: dict[str, Any], names: set[str], nullable: frozenset[str]) -> None:
    """Every knob is a number: a string taken now would fail a later API call instead."""
    for name in names & set(body):
        value = body[name]
        if value is None and name in nullable:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise HTTPException(400, f"{name} must be a number")


@router.post("/block")
async def start_block(request: Request) -> dict[str, float]:
    """Body `{"seconds": 2.5}` optional; default the configured duration times the scale."""
    sandbox, body = _sandbox(request), await _json_object(request)
    _numbers(body, {"seconds"}, frozenset({"seconds"}))
    seconds = body.get("seconds")
    until = sandbox.block.start(sandbox.now(), None if seconds is None else float(seconds))
    return {"blocked_until": until}


@router.delete("/block")
async def lift_block(request: Request) -> dict[str, float]:
    _sandbox(request).block.lift()
    return {"blocked_until": 0.0}


@router.get("/faults")
async def faults(request: Request) -> dict[str, Any]:
    return _sandbox(request).faults.profile.to_json()


@router.post("/faults")
async def set_faults(request: Request) -> dict[str, Any]:
    """Replaces the whole profile (unknown keys ignored) and restarts its random sequence."""
    sandbox, body = _sandbox(request), await _json_object(request)
    _numbers(body, {knob.name for knob in fields(FaultProfile)}, frozenset({"complex_504_above"}))
    sandbox.faults.configure(FaultProfile.from_json(body))
    return sandbox.faults.profile.to_json()
