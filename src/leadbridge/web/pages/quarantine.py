"""Карантин: received events set aside because they can never be processed — the sender, when
and by which channel each arrived, the reason, the start of the raw body, and whether it was
replayed. Read-only: a person decides what to do (ask the partner, fix a setting or Avito's
mapping and replay with `leadbridge avito quarantine replay`); nothing here is sent anywhere.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from leadbridge.security.roles import OPERATOR
from leadbridge.store import inbox
from leadbridge.web.auth import CurrentUser, require_role
from leadbridge.web.context import context_of
from leadbridge.web.pages.common import templates

router = APIRouter()
Operator = Annotated[CurrentUser, Depends(require_role(OPERATOR))]
PAGE_SIZE = 100
BODY_SHOWN = 500  # characters of the raw body; a body may be up to `web.max_body_bytes`
SOURCES = {"avito": "Авито", "amocrm": "amoCRM"}
CHANNELS = {"webhook": "вебхук", "feed": "лента заявок"}


@router.get("/quarantine", response_class=HTMLResponse)
async def quarantine_page(
    request: Request,
    _user: Operator,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        total, events = await inbox.quarantined(
            session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    rows = [
        {
            "id": event.id,
            "source": SOURCES.get(event.source, event.source),
            "channel": CHANNELS.get(event.channel, event.channel),
            "received_at": event.received_at,
            "quarantined_at": event.quarantined_at,
            "attempts": event.attempts,
            "reason": event.error or "",
            "replayed_at": event.replayed_at,
            "replayed_by": event.replayed_by,
            "body": _shortened(event.body),
        }
        for event in events
    ]
    return templates.TemplateResponse(
        request,
        "quarantine.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "has_next": page * PAGE_SIZE < total,
        },
    )


def _shortened(body: str) -> str:
    if len(body) <= BODY_SHOWN:
        return body
    return f"{body[:BODY_SHOWN]}… (ещё {len(body) - BODY_SHOWN} симв.)"
