"""The operators' first page: the funnel, recent leads and the outbox, in Russian."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from leadbridge.store import inbox, leads, outbox
from leadbridge.web.context import context_of

router = APIRouter(tags=["dashboard"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

OUTBOX_STATES = {
    outbox.PENDING: "в очереди",
    outbox.SENDING: "отправляется",
    outbox.SENT: "отправлено",
    outbox.PARKED: "остановлено, нужен человек",
    outbox.SKIPPED: "пропущено",
}


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request) -> HTMLResponse:
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        by_stage = await leads.count_by_stage(session)
        by_deal_state = await leads.count_by_deal_state(session)
        recent = await leads.recent(session, 20)
        by_state = await outbox.count_by_state(session)
        retrying = await outbox.retrying_count(session)
        backlog = await inbox.backlog(session)
    funnel = ctx.settings.funnel
    stage_names = {stage.key: stage.name for stage in funnel.stages}
    return templates.TemplateResponse(
        request,
        "overview.html",
        {
            "funnel": [(stage.name, by_stage.get(stage.key, 0)) for stage in funnel.stages],
            "awaiting_deal": by_deal_state.get("pending", 0),
            "total": sum(by_deal_state.values()),
            "recent": recent,
            "stage_names": stage_names,
            "outbox": [(label, by_state.get(state, 0)) for state, label in OUTBOX_STATES.items()],
            "retrying": retrying,
            "backlog": backlog,
        },
    )
