"""/healthz for liveness, /metrics for Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from leadbridge.store import inbox, leads, outbox
from leadbridge.web import metrics
from leadbridge.web.context import context_of

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics")
async def prometheus(request: Request) -> Response:
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        for state, count in (await outbox.count_by_state(session)).items():
            metrics.OUTBOX_DEPTH.labels(state=state).set(count)
        for deal_state, count in (await leads.count_by_deal_state(session)).items():
            metrics.LEADS.labels(deal_state=deal_state).set(count)
        metrics.INBOX_BACKLOG.set(await inbox.backlog(session))
        oldest = await outbox.oldest_pending_since(session)
    metrics.OLDEST_PENDING.set((ctx.now() - oldest).total_seconds() if oldest else 0)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
