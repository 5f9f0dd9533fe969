"""Очередь в Авито: statuses that failed or were parked, the buttons to act on them, the audit log.

Every button is an htmx post carrying the CSRF header; the action goes through the same audited
store code as `leadbridge outbox …`, with the logged-in user as the actor.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from leadbridge.security.roles import OPERATOR
from leadbridge.store import operator_actions, outbox_view
from leadbridge.sync.wakeups import OUTBOX
from leadbridge.web.auth import CurrentUser, require_role
from leadbridge.web.context import context_of
from leadbridge.web.pages.common import templates
from leadbridge.web.pages.labels import ACTION_LABELS, ACTIONS_FOR_STATE, OUTBOX_STATE_LABELS
from leadbridge.web.params import RowId

router = APIRouter()
Operator = Annotated[CurrentUser, Depends(require_role(OPERATOR))]
SHOWN = 200
AUDIT_SHOWN = 100
LABELS = {
    "state_labels": OUTBOX_STATE_LABELS,
    "action_labels": ACTION_LABELS,
    "actions_for": ACTIONS_FOR_STATE,
}


@router.get("/outbox", response_class=HTMLResponse)
async def outbox_page(request: Request, _user: Operator) -> HTMLResponse:
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        items = await outbox_view.needing_attention(session, SHOWN)
        audit = await outbox_view.recent_actions(session, AUDIT_SHOWN)
    return templates.TemplateResponse(
        request, "outbox.html", {"items": items, "audit": audit, **LABELS}
    )


@router.post("/outbox/{item_id}/{action}", response_class=HTMLResponse)
async def act_on_item(
    request: Request,
    item_id: RowId,
    action: str,
    user: Operator,
    note: Annotated[str | None, Form(max_length=500)] = None,
) -> HTMLResponse:
    """Answers the item's row as it is now, which htmx swaps in place of the old one."""
    if action not in operator_actions.ALLOWED:
        raise HTTPException(status_code=404, detail="no such action")
    ctx = context_of(request)
    error = None
    try:
        async with ctx.db.transaction() as session:
            await operator_actions.act(
                session,
                item_id=item_id,
                action=action,
                actor=user.name,
                note=note or None,
                now=ctx.now(),
            )
    except operator_actions.ActionRefused as refused:
        error = str(refused)
    async with ctx.db.transaction() as session:
        item = await outbox_view.item(session, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail=error or "no such item")
    if error is None:
        ctx.wakeups.notify(OUTBOX)  # the relay sends a re-queued status at once
    return templates.TemplateResponse(
        request,
        "outbox_row.html",
        {"item": item, "error": error, **LABELS},
        status_code=409 if error else 200,
    )
