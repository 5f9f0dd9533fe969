"""Webhook endpoints of Avito and amoCRM.

Each is reached by a secret path token (compared in constant time): neither sender signs its
requests. A request without the token (or Avito's secret), too large, or from another amoCRM
account gets a 4xx and nothing is stored. An authenticated body that cannot be interpreted is
kept raw in quarantine (`sync/quarantine.py`) for a person to see: it is never lost, and never
waits in front of the events behind it. Avito's is then acknowledged (200, `"quarantined"`): the
fix is a mapping change and a replay (`leadbridge avito quarantine replay`), not a redelivery.
amoCRM's gets a 4xx naming the reason.

An amoCRM body must name only the account of `amocrm.account_id`, or, unset, the one
`leadbridge setup` recorded; before either exists, any account's is taken. Its inbox key is
`sync/amocrm_deliveries.py`'s: a copy of a delivery is stored once.
"""

from __future__ import annotations

import hmac

import structlog
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.amocrm.webhook import (
    AmoWebhook,
    WebhookFormatError,
    WebhookValueError,
    parse_webhook,
)
from leadbridge.avito.envelope import EventKind, read_webhook
from leadbridge.avito.payload import PayloadError
from leadbridge.store import crm_objects, inbox
from leadbridge.sync.amocrm_deliveries import delivery_key
from leadbridge.sync.intake import accept_lead, quarantine_avito
from leadbridge.sync.quarantine import quarantine_raw
from leadbridge.sync.wakeups import STAGE_CHANGES
from leadbridge.web.context import WebContext, context_of
from leadbridge.web.metrics import WEBHOOKS

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])
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
        event = read_webhook(raw)
        if event.kind is not EventKind.LEAD or event.lead is None:
            return _ok("avito", event.kind.value)
        result = await accept_lead(ctx.db, event.lead, channel="webhook", wakeups=ctx.wakeups)
    except PayloadError as error:
        # Raw first: an authenticated body is acknowledged once it is kept, whether or not we
        # understand it. Refusing it would make Avito give up after its retries, and a change
        # of Avito's payload would lose every request until the mapping follows it.
        await quarantine_avito(ctx.db, channel="webhook", raw=raw, error=error)
        return _ok("avito", "quarantined", reason=str(error))
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
    async with ctx.db.transaction() as session:
        await _check_account(ctx, session, hook)
        stored = await inbox.add_if_new(
            session,
            source="amocrm",
            event_key=await delivery_key(session, raw, hook),
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


async def _check_account(ctx: WebContext, session: AsyncSession, hook: AmoWebhook) -> None:
    """Every account the body names must be ours; a body naming none is refused too once we
    know ours (older accounts name it only in each item, and the parser reads it there)."""
    expected = ctx.settings.amocrm.account_id
    if expected is None:
        expected = await crm_objects.account_id(session)
    if expected is not None and hook.account_ids != {expected}:
        # Ids only: the body also holds deal names and prices, which stay out of the log.
        log.warning(
            "amocrm.webhook_refused",
            reason="another account",
            accounts=sorted(hook.account_ids),
            expected=expected,
        )
        raise _refused("amocrm", 403, "webhook from another amoCRM account")


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


async def _quarantined(ctx: WebContext, source: str, raw: bytes, error: Unusable) -> HTTPException:
    """Keep the refused body for a person, then refuse it with its reason."""
    await quarantine_raw(ctx.db, source=source, channel="webhook", raw=raw, reason=error.reason)
    return _refused(source, error.status, error.reason)


def _refused(source: str, status: int, detail: str) -> HTTPException:
    WEBHOOKS.labels(source=source, result=f"refused_{status}").inc()
    return HTTPException(status_code=status, detail=detail)


def _ok(source: str, result: str, **detail: str) -> JSONResponse:
    WEBHOOKS.labels(source=source, result=result).inc()
    return JSONResponse({"ok": True, "result": result, **detail})
