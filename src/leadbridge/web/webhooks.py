"""Webhook endpoints of Avito and amoCRM.

Each is reached by a secret path token (compared in constant time): neither sender signs its
requests. A body that is not what the sender sends gets a 4xx and nothing is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from leadbridge.amocrm.webhook import WebhookFormatError, parse_webhook
from leadbridge.avito.payload import PayloadError
from leadbridge.store import inbox
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.wakeups import STAGE_CHANGES
from leadbridge.web.context import WebContext, context_of
from leadbridge.web.metrics import WEBHOOKS

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
LEAD_CREATED = "lead.created"
AVITO_SECRET_HEADER = "X-Avito-Webhook-Secret"


@router.post("/avito/{token}")
async def avito_webhook(token: str, request: Request) -> JSONResponse:
    ctx = context_of(request)
    _check_token(ctx, token)
    _check_avito_secret(ctx, request)
    envelope = _json_object(await _body(ctx, request))
    if not envelope:  # the `{}` ping Avito sends when a webhook is registered
        return _ok("avito", "ping")
    payload = envelope.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise _refused("avito", 422, "envelope has no payload.type")
    if payload["type"] != LEAD_CREATED:
        return _ok("avito", "ignored")
    lead = payload.get("lead")
    if not isinstance(lead, dict):
        raise _refused("avito", 422, "lead.created without a lead object")
    try:
        result = await accept_lead(ctx.db, lead, channel="webhook", wakeups=ctx.wakeups)
    except PayloadError as error:
        raise _refused("avito", 422, str(error)) from error
    return _ok("avito", result.value)


@router.post("/amocrm/{token}")
async def amocrm_webhook(token: str, request: Request) -> JSONResponse:
    ctx = context_of(request)
    _check_token(ctx, token)
    raw = await _body(ctx, request)
    try:
        body = raw.decode("utf-8")
        hook = parse_webhook(body)
    except (UnicodeDecodeError, WebhookFormatError) as error:
        raise _refused("amocrm", 400, "not an amoCRM webhook body") from error
    expected = ctx.settings.amocrm.account_id
    if expected is not None and hook.account_id != expected:
        raise _refused("amocrm", 403, "webhook from another amoCRM account")
    async with ctx.db.transaction() as session:
        stored = await inbox.add_if_new(
            session,
            source="amocrm",
            event_key=hashlib.sha256(raw).hexdigest(),
            channel="webhook",
            body=body,
            now=ctx.now(),
        )
    ctx.wakeups.notify(STAGE_CHANGES)
    return _ok("amocrm", "stored" if stored else "duplicate")


def _check_token(ctx: WebContext, token: str) -> None:
    expected = ctx.settings.web.webhook_token.get_secret_value()
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        WEBHOOKS.labels(source="unknown", result="bad_token").inc()
        raise HTTPException(status_code=404, detail="not found")


def _check_avito_secret(ctx: WebContext, request: Request) -> None:
    """Avito sends the secret given at registration in a header (our contract)."""
    expected = ctx.settings.avito.webhook_secret.get_secret_value()
    given = request.headers.get(AVITO_SECRET_HEADER, "")
    if expected and not hmac.compare_digest(given.encode(), expected.encode()):
        raise _refused("avito", 403, "wrong webhook secret")


async def _body(ctx: WebContext, request: Request) -> bytes:
    limit = ctx.settings.web.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413, detail="body too large")
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(status_code=413, detail="body too large")
    return body


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise _refused("avito", 400, "body is not JSON") from error
    if not isinstance(value, dict):
        raise _refused("avito", 400, "body is not a JSON object")
    return value


def _refused(source: str, status: int, detail: str) -> HTTPException:
    WEBHOOKS.labels(source=source, result=f"refused_{status}").inc()
    return HTTPException(status_code=status, detail=detail)


def _ok(source: str, result: str) -> JSONResponse:
    WEBHOOKS.labels(source=source, result=result).inc()
    return JSONResponse({"ok": True, "result": result})
