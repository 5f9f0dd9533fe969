"""Webhook endpoints of Avito and amoCRM.

Each is reached by a secret path token (compared in constant time): neither sender signs its
requests. A request without the token (or Avito's secret), too large, or from another amoCRM
account gets a 4xx and nothing is stored. An authenticated body that cannot be interpreted gets a
4xx naming the reason, and is kept raw in quarantine (`sync/quarantine.py`) for a person to see:
it is never lost, and never waits in front of the events behind it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from leadbridge.amocrm.webhook import WebhookFormatError, WebhookValueError, parse_webhook
from leadbridge.avito.payload import PayloadError
from leadbridge.store import inbox
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.quarantine import quarantine_raw
from leadbridge.sync.wakeups import STAGE_CHANGES
from leadbridge.web.context import WebContext, context_of
from leadbridge.web.json_bodies import JsonBodyError, load_json
from leadbridge.web.metrics import WEBHOOKS

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
LEAD_CREATED = "lead.created"
AVITO_SECRET_HEADER = "X-Avito-Webhook-Secret"


class Unusable(Exception):
    """An authenticated body that cannot be interpreted: the answer's status and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@router.post("/avito/{token}")
async def avito_webhook(token: str, request: Request) -> JSONResponse:
    ctx = context_of(request)
    _check_token(ctx, token)
    _check_avito_secret(ctx, request)
    raw = await _body(ctx, request)
    try:
        return await _avito_event(ctx, raw)
    except PayloadError as error:
        raise await _quarantined(ctx, "avito", raw, Unusable(422, str(error))) from error
    except Unusable as error:
        raise await _quarantined(ctx, "avito", raw, error) from error


async def _avito_event(ctx: WebContext, raw: bytes) -> JSONResponse:
    envelope = _json_object(raw)
    if not envelope:  # the `{}` ping Avito sends when a webhook is registered
        return _ok("avito", "ping")
    payload = envelope.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise Unusable(422, "envelope has no payload.type")
    if payload["type"] != LEAD_CREATED:
        return _ok("avito", "ignored")
    lead = payload.get("lead")
    if not isinstance(lead, dict):
        raise Unusable(422, "lead.created without a lead object")
    result = await accept_lead(ctx.db, lead, channel="webhook", wakeups=ctx.wakeups)
    return _ok("avito", result.value)


@router.post("/amocrm/{token}")
async def amocrm_webhook(token: str, request: Request) -> JSONResponse:
    ctx = context_of(request)
    _check_token(ctx, token)
    raw = await _body(ctx, request)
    try:
        body = raw.decode("utf-8")
        hook = parse_webhook(body)
    except WebhookValueError as error:
        raise await _quarantined(ctx, "amocrm", raw, Unusable(422, str(error))) from error
    except (UnicodeDecodeError, WebhookFormatError) as error:
        reason = f"not an amoCRM webhook body: {error}"
        raise await _quarantined(ctx, "amocrm", raw, Unusable(400, reason)) from error
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
        value = load_json(raw)
    except JsonBodyError as error:
        raise Unusable(400, str(error)) from error
    if not isinstance(value, dict):
        raise Unusable(400, "body is not a JSON object")
    return value


async def _quarantined(ctx: WebContext, source: str, raw: bytes, error: Unusable) -> HTTPException:
    """Keep the refused body for a person, then refuse it with its reason."""
    await quarantine_raw(ctx.db, source=source, channel="webhook", raw=raw, reason=error.reason)
    return _refused(source, error.status, error.reason)


def _refused(source: str, status: int, detail: str) -> HTTPException:
    WEBHOOKS.labels(source=source, result=f"refused_{status}").inc()
    return HTTPException(status_code=status, detail=detail)


def _ok(source: str, result: str) -> JSONResponse:
    WEBHOOKS.labels(source=source, result=result).inc()
    return JSONResponse({"ok": True, "result": result})
