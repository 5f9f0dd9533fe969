"""Заявки: search and filters, and one lead's card with its merged timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from leadbridge.avito.readers import normalize_phone
from leadbridge.security.roles import FINANCE, OPERATOR, permits, sees_personal_data
from leadbridge.store import lead_search, operator_actions, timeline
from leadbridge.store import leads as lead_store
from leadbridge.web.auth import CurrentUser, require_role
from leadbridge.web.context import context_of
from leadbridge.web.pages.common import templates
from leadbridge.web.pages.labels import (
    ACTION_LABELS,
    OUTBOX_FILTER_LABELS,
    TIMELINE_KINDS,
    TIMELINE_OUTCOMES,
    TIMELINE_SOURCES,
    consequence,
)
from leadbridge.web.params import RowId

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(require_role(OPERATOR, FINANCE))]
PER_PAGE = 25


@router.get("/leads", response_class=HTMLResponse)
async def leads_page(
    request: Request,
    user: Viewer,
    *,
    q: Annotated[str, Query(max_length=128)] = "",
    stage: Annotated[str, Query(max_length=64)] = "",
    city: Annotated[str, Query(max_length=128)] = "",
    outbox: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=5, le=200)] = PER_PAGE,
) -> HTMLResponse:
    ctx = context_of(request)
    # A role that may not see phones and names may not find leads by them either.
    personal = sees_personal_data(user.role)
    phone = normalize_phone(q) if personal and _looks_like_phone(q) else None
    query = lead_search.LeadQuery(
        text=q,
        phone=phone,
        stage=stage or None,
        city=city or None,
        outbox_state=outbox or None,
        page=page,
        per_page=per_page,
        personal_data=personal,
    )
    async with ctx.db.transaction() as session:
        found = await lead_search.search(session, query)
        cities = await lead_search.cities(session)
    # The search form's htmx requests target the results only; anything else (a link, a reload,
    # htmx restoring history after Back) gets the whole page.
    partial = request.headers.get("HX-Target") == "results"
    return templates.TemplateResponse(
        request,
        "leads_results.html" if partial else "leads.html",
        {
            "found": found,
            "cap": lead_search.COUNT_CAP,
            "query": query,
            "cities": cities,
            "stages": ctx.settings.funnel.stages,
            "stage_names": {s.key: s.name for s in ctx.settings.funnel.stages},
            "outbox_filters": OUTBOX_FILTER_LABELS,
            "phone_links": personal,  # a masked phone is no number to call
        },
    )


def _looks_like_phone(text: str) -> bool:
    return sum(char.isdigit() for char in text) >= 10


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
async def lead_page(request: Request, lead_id: RowId, user: Viewer) -> HTMLResponse:
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        lead = await lead_store.by_id(session, lead_id)
        if lead is None:
            raise HTTPException(status_code=404, detail="no such lead")
        entries = await timeline.for_lead(session, lead)
        items = await timeline.outbox_items(session, lead.id)
    funnel = ctx.settings.funnel
    # Its statuses get the outbox page's actions, for operators only, and only those that keep
    # the chain in order (the store refuses the others too).
    last_sent = operator_actions.last_sent_id(items)
    offers = (
        {item.id: operator_actions.offered(item, last_sent=last_sent) for item in items}
        if permits(user.role, (OPERATOR,))
        else {}
    )
    return templates.TemplateResponse(
        request,
        "lead.html",
        {
            "lead": lead,
            "entries": entries,
            "items": items,
            "stage_names": {s.key: s.name for s in funnel.stages},
            "kinds": TIMELINE_KINDS,
            "outcomes": TIMELINE_OUTCOMES,
            "sources": TIMELINE_SOURCES,
            "offers": offers,
            "action_labels": ACTION_LABELS,
            "consequence": consequence,
            "phone_links": sees_personal_data(user.role),  # a masked phone is no number to call
        },
    )
