"""Обзор: a headline saying whether all is well (web/pages/headline.py), the funnel with
conversion, this week's KPIs, the health of both sync directions and of every supervised loop,
and the Avito events waiting in quarantine for a mapping fix."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from leadbridge.domain.funnel_stats import funnel_counts, stage_positions
from leadbridge.domain.periods import Week
from leadbridge.security.roles import FINANCE, OPERATOR, permits
from leadbridge.store import alerts, contract_drift, heartbeats, leads, overview
from leadbridge.web.auth import current_user, require_role
from leadbridge.web.context import context_of
from leadbridge.web.pages import headline, live
from leadbridge.web.pages.common import templates
from leadbridge.web.pages.loops import loop_rows

router = APIRouter(dependencies=[Depends(require_role(OPERATOR, FINANCE))])


def week_start(now: datetime) -> datetime:
    """Monday 00:00 Moscow time: the week settlements, charts and KPIs count from."""
    return Week.of(now).starts_at


@router.get("/", response_class=HTMLResponse)
async def overview_page(request: Request) -> HTMLResponse:
    ctx = context_of(request)
    funnel, now = ctx.settings.funnel, ctx.now()
    since = week_start(now)
    async with ctx.db.transaction() as session:
        current = await leads.count_by_stage(session)
        furthest = await overview.furthest_positions(session, stage_positions(funnel))
        kpis = await overview.week_kpis(
            session, since=since, commission_status=funnel.commission_status
        )
        health = await overview.sync_health(session)
        loops = await heartbeats.all_records(session)
        avito_quarantined = await contract_drift.quarantined_avito(session)
        incidents = await alerts.open_incidents(session)
    snapshot = live.snapshot(request)
    wrong = await headline.problems(
        ctx.db, ctx.settings, snapshot, incidents=incidents, loops=loops, now=now
    )
    # Finance sees the count too, but the page behind it is the operators'.
    user = await current_user(request)
    return templates.TemplateResponse(
        request,
        "overview.html",
        {
            "stages": funnel_counts(funnel, current, furthest),
            "awaiting_deal": current.get(None, 0),
            "kpis": kpis,
            "week_start": since,
            "health": health,
            "now": now,
            "live": snapshot,
            "problems": wrong,
            "loops": loop_rows(loops, now),
            "avito_quarantined": avito_quarantined,
            "avito_changes_link": permits(user.role, (OPERATOR,)),
        },
    )
