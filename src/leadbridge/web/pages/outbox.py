"""Очередь в Авито: statuses that failed or were parked, the actions on them, the audit log.

Every action is a small htmx form carrying the CSRF header: it says in Russian what it will do to
what Avito sees, asks for a note and is sent only when confirmed. It goes through the same audited
store code as `leadbridge outbox …`, with the logged-in user as the actor; the store, not the
page, decides what is allowed, so a forged post is refused like a stale button.
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
from leadbridge.web.pages.labels import ACTION_LABELS, consequence
from leadbridge.web.params import RowId

router = APIRouter()
Operator = Annotated[CurrentUser, Depends(require_role(OPERATOR))]
SHOWN = 200
AUDIT_SHOWN = 100
# The Russian reason a refusal shows in the row; the store's own message is for the CLI.
REFUSALS = {
    operator_actions.WRONG_STATE: "Это действие уже не подходит: состояние статуса изменилось. "
    "Обновите страницу.",
    operator_actions.NOT_LAST_SENT: "Отправить заново можно только остановленный статус или "
    "последний отправленный статус заявки: Авито принимает статусы только вперёд по цепочке, "
    "а этот статус уже позади.",
}
NOTE_MISSING = "Напишите в комментарии для журнала, зачем это действие."
LABELS = {"action_labels": ACTION_LABELS, "consequence": consequence}


@router.get("/outbox", response_class=HTMLResponse)
async def outbox_page(request: Request, _user: Operator) -> HTMLResponse:
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        items = await outbox_view.needing_attention(session, SHOWN)
        audit = await outbox_view.recent_actions(session, AUDIT_SHOWN)
    # Parked and retrying items are never sent ones: no lead's last sent status is needed.
    offers = {item.id: operator_actions.offered(item, last_sent=None) for item in items}
    return templates.TemplateResponse(
        request, "outbox.html", {"items": items, "audit": audit, "offers": offers, **LABELS}
    )


@router.post("/outbox/{item_id}/{action}", response_class=HTMLResponse)
async def act_on_item(
    request: Request,
    item_id: RowId,
    action: str,
    user: Operator,
    note: Annotated[str | None, Form(max_length=500)] = None,
) -> HTMLResponse:
    """Answers the item's row as it is now, which htmx swaps in place of the old one; a refusal
    (409) shows its reason in the row and changes nothing."""
    if action not in operator_actions.ALLOWED:
        raise HTTPException(status_code=404, detail="no such action")
    ctx = context_of(request)
    note = (note or "").strip() or None
    # The form asks for a note; a post without one is refused like any other refusal.
    error = NOTE_MISSING if note is None else await _act(request, item_id, action, user, note)
    async with ctx.db.transaction() as session:
        item = await outbox_view.item(session, item_id)
        if item is None:
            raise HTTPException(status_code=404, detail="no such item")
        last_sent = await operator_actions.lead_last_sent(session, item.lead_id)
    if error is None:
        ctx.wakeups.notify(OUTBOX)  # the relay sends a re-queued status at once
    return templates.TemplateResponse(
        request,
        "outbox_row.html",
        {
            "item": item,
            "error": error,
            "offers": {item.id: operator_actions.offered(item, last_sent=last_sent)},
            **LABELS,
        },
        status_code=409 if error else 200,
    )


async def _act(
    request: Request, item_id: int, action: str, user: CurrentUser, note: str
) -> str | None:
    """The action done, or the Russian reason it was refused."""
    ctx = context_of(request)
    try:
        async with ctx.db.transaction() as session:
            await operator_actions.act(
                session, item_id=item_id, action=action, actor=user.name, note=note, now=ctx.now()
            )
    except operator_actions.ActionRefused as refused:
        if refused.reason == operator_actions.NO_ITEM:
            raise HTTPException(status_code=404, detail="no such item") from refused
        return REFUSALS.get(refused.reason, str(refused))
    return None
