"""Воронка: the configured stages, their amoCRM ids, the Avito status of each, the loss reasons."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from leadbridge.store import crm_objects
from leadbridge.sync.crm_layout import BUYOUT_PIPELINE, LOSS_REASON, PIPELINE, STATUS
from leadbridge.web.auth import require_login
from leadbridge.web.context import context_of
from leadbridge.web.pages.common import templates

router = APIRouter(dependencies=[Depends(require_login)])


@router.get("/funnel", response_class=HTMLResponse)
async def funnel_page(request: Request) -> HTMLResponse:
    ctx = context_of(request)
    funnel = ctx.settings.funnel
    async with ctx.db.transaction() as session:
        pipelines = await crm_objects.ids_of(session, PIPELINE)
        statuses = await crm_objects.ids_of(session, STATUS)
        reasons = await crm_objects.ids_of(session, LOSS_REASON)
    stage_ids = {
        stage.key: stage.amocrm_status_id or statuses.get(stage.key) for stage in funnel.stages
    }
    return templates.TemplateResponse(
        request,
        "funnel.html",
        {
            "funnel": funnel,
            "pipeline_id": pipelines.get(BUYOUT_PIPELINE),
            "stage_ids": stage_ids,
            "implied": {s.key: funnel.implied_status(s.key) for s in funnel.stages},
            "reason_ids": reasons,
        },
    )
