"""/healthz for liveness, /readyz for readiness, /metrics for Prometheus."""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from leadbridge.domain import loop_health
from leadbridge.domain.alert_rules import RULES
from leadbridge.domain.loop_health import LoopRecord
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.security.crypto import SecretKeyError
from leadbridge.store import (
    alerts,
    contract_drift,
    health,
    heartbeats,
    inbox,
    leads,
    outbox,
    tokens,
)
from leadbridge.web import metrics
from leadbridge.web.context import WebContext, context_of

router = APIRouter(tags=["health"])
AMOCRM = "amocrm"
READY_TIMEOUT_S = 5.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers, amoCRM can be called (a token is stored, readable with
    the configured keys, and either still valid or renewable by its refresh token), and no
    supervised loop of any live process has stalled (domain/loop_health.py)."""
    ctx = context_of(request)
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            reasons = await _not_ready_because(ctx)
    except TimeoutError:
        reasons = ["database did not answer in time"]
    if reasons:
        return JSONResponse({"status": "not ready", "reasons": reasons}, status_code=503)
    return JSONResponse({"status": "ready"})


async def _not_ready_because(ctx: WebContext) -> list[str]:
    try:
        async with ctx.db.transaction() as session:
            await health.ping(session)
            row = await tokens.token(session, AMOCRM)
            expires_at, renewable = (
                (row.expires_at, row.refresh_token is not None) if row else (None, False)
            )
            loops = await heartbeats.all_records(session)
    except SecretKeyError:
        return ["the amoCRM token cannot be decrypted: check security.token_keys"]
    except (SQLAlchemyError, OSError) as error:
        return [f"database unreachable ({type(error).__name__})"]
    now = ctx.now()
    return _token_problems(expires_at, renewable, now) + loop_health.problems(loops, now)


def _token_problems(expires_at: datetime | None, renewable: bool, now: datetime) -> list[str]:
    if expires_at is None:
        return ["no amoCRM token: run `leadbridge auth amocrm`"]
    if expires_at <= now and not renewable:
        return ["the amoCRM token has expired and cannot be renewed"]
    return []


@router.get("/metrics")
async def prometheus(request: Request) -> Response:
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        by_state = await outbox.count_by_state(session)
        # Every state, the empty ones at 0: a state left out would keep its last count, and an
        # alert on parked statuses would never clear once the last one is unparked.
        for state in {*OutboxState, *by_state}:
            metrics.OUTBOX_DEPTH.labels(state=state).set(by_state.get(state, 0))
        by_deal_state = await leads.count_by_deal_state(session)
        for deal_state in {*leads.DEAL_STATES, *by_deal_state}:
            metrics.LEADS.labels(deal_state=deal_state).set(by_deal_state.get(deal_state, 0))
        metrics.INBOX_BACKLOG.set(await inbox.backlog(session))
        quarantined = await inbox.quarantined_by_source(session)
        metrics.AVITO_QUARANTINED.set(await contract_drift.quarantined_avito(session))
        oldest = await outbox.oldest_pending_since(session)
        waiting = await health.oldest_unprocessed_by_source(session)
        loops = await heartbeats.all_records(session)
        await metrics.FIRST_CONTACT.refresh(session, ctx.settings)
        incidents = await alerts.open_incidents(session)
        channels = await alerts.channel_health(session)
    for rule in RULES:
        metrics.ALERTS_OPEN.labels(rule=rule).set(int(rule in incidents))
    for channel in channels:
        failing = channel.failing_since is not None
        metrics.ALERT_CHANNEL_FAILING.labels(channel=channel.channel).set(int(failing))
    now = ctx.now()
    _loop_metrics(loop_health.live(loops, now), now)
    metrics.OLDEST_PENDING.set((now - oldest).total_seconds() if oldest else 0)
    for source in ("avito", "amocrm"):
        metrics.QUARANTINED_NOW.labels(source=source).set(quarantined.get(source, 0))
        since = waiting.get(source)
        metrics.WEBHOOK_LAG.labels(source=source).set((now - since).total_seconds() if since else 0)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _loop_metrics(loops: list[LoopRecord], now: datetime) -> None:
    restarts: dict[str, int] = {}
    silent: dict[str, float] = {}
    for record in loops:
        restarts[record.loop] = restarts.get(record.loop, 0) + record.restarts
        seconds = record.silent_for(now).total_seconds()
        silent[record.loop] = max(silent.get(record.loop, 0.0), seconds)
    metrics.LOOPS.restarts, metrics.LOOPS.last_pass_s = restarts, silent
