"""Sandbox-only endpoints: what was delivered (Telegram messages, SMTP mail) and the faults."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from leadbridge.sandbox.telegram.state import Faults, TelegramSandbox

router = APIRouter(prefix="/sandbox")


def _sandbox(request: Request) -> TelegramSandbox:
    sandbox = request.app.state.sandbox
    assert isinstance(sandbox, TelegramSandbox)
    return sandbox


@router.get("/messages")
async def messages(request: Request) -> dict[str, Any]:
    """Every message the bot sent, oldest first: chat_id, text, date (Unix time) and more."""
    return {"messages": [sent.to_json() for sent in _sandbox(request).messages]}


@router.delete("/messages")
async def forget_messages(request: Request) -> dict[str, Any]:
    _sandbox(request).messages.clear()
    return {"messages": []}


@router.get("/mail")
async def mail(request: Request) -> dict[str, Any]:
    """Every e-mail the SMTP sink accepted, oldest first."""
    sink = _sandbox(request).mail
    if sink is None:
        raise HTTPException(404, "no SMTP sink runs beside this simulator")
    return {"mail": [received.to_json() for received in sink.mail]}


@router.get("/faults")
async def faults(request: Request) -> dict[str, Any]:
    return _sandbox(request).faults.to_json()


@router.post("/faults")
async def set_faults(request: Request) -> dict[str, Any]:
    """Body e.g. `{"too_many": 2, "retry_after": 3}` or `{"down": true}`; names left out keep
    their values."""
    sandbox = _sandbox(request)
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body is not a JSON object")
    known = {knob.name: knob.type for knob in fields(Faults)}
    for name, value in body.items():
        if name not in known:
            raise HTTPException(400, f"no fault {name!r}: the faults are {', '.join(known)}")
        wanted = bool if name == "down" else int
        if type(value) is not wanted or (wanted is int and value < 0):
            raise HTTPException(400, f"{name} must be a {'boolean' if wanted is bool else 'count'}")
        setattr(sandbox.faults, name, value)
    return sandbox.faults.to_json()


@router.delete("/faults")
async def clear_faults(request: Request) -> dict[str, Any]:
    sandbox = _sandbox(request)
    sandbox.faults = Faults()
    return sandbox.faults.to_json()


@router.get("/state")
async def state(request: Request) -> dict[str, Any]:
    """Counts for a rehearsal to assert on, e.g. how many sendMessage calls a 429 cost."""
    sandbox = _sandbox(request)
    return {
        "calls": dict(sandbox.calls),
        "faults": sandbox.faults.to_json(),
        "messages": len(sandbox.messages),
        "mail": None if sandbox.mail is None else len(sandbox.mail.mail),
    }
