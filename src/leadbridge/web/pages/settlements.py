"""Взаиморасчёты: the settled weeks, one week's lines, adjustments and diff against Avito, the
check and freeze buttons, and the week's XLSX and CSV.

Check and freeze are plain form posts with the CSRF field and a required confirmation box, so
they work without scripts; the server refuses a post without the box too. Both run in the
request, as `leadbridge settle` does: the page answers when the week is settled.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from leadbridge.domain.periods import Week
from leadbridge.domain.settlement import AMOUNT_MISMATCH, ONLY_AVITO, ONLY_OURS
from leadbridge.domain.settlement_quarantine import QUARANTINED
from leadbridge.security.roles import FINANCE
from leadbridge.settlement import dashboard as settlement
from leadbridge.settlement.export_labels import kind as kind_text
from leadbridge.settlement.export_labels import rule_text
from leadbridge.settlement.service import SettleRequest
from leadbridge.web.auth import require_role
from leadbridge.web.context import context_of
from leadbridge.web.pages.common import templates
from leadbridge.web.params import week_of

router = APIRouter(dependencies=[Depends(require_role(FINANCE))])
LINES_SHOWN = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
OUTCOMES = {
    AMOUNT_MISMATCH: "Сумма не совпадает",
    ONLY_OURS: "Только у нас",
    ONLY_AVITO: "Только у Авито",
    QUARANTINED: "Строка Авито не распознана",
}
DONE = {"checked": "Сверка с Авито выполнена", "frozen": "Неделя заморожена"}
Confirmed = Annotated[str | None, Form()]


def line_text(key: str | None) -> str:
    """A line's key, "<Avito lead>:<kind>" (an adjustment's adds ":adjustment@<week>"), as
    "<lead> · <kind>"; the key itself is Avito's line id, kept in the cell's title."""
    if not key:
        return "—"
    lead, _, rest = key.partition(":")
    kind, _, adjusted = rest.partition(":")
    text = f"{lead} · {kind_text(kind)}"
    if adjusted.startswith("adjustment@"):
        text += f" · корректировка {adjusted.removeprefix('adjustment@')}"
    return text


LABELS = {"rule_text": rule_text, "line_text": line_text}


@router.get("/settlements", response_class=HTMLResponse)
async def settlements_page(request: Request) -> HTMLResponse:
    ctx = context_of(request)
    rows = await settlement.weeks(ctx.db, ctx.now())
    return templates.TemplateResponse(request, "settlements.html", {"rows": rows})


@router.get("/settlements/{name}", response_class=HTMLResponse)
async def week_page(request: Request, name: str, done: str | None = None) -> HTMLResponse:
    return await _week_page(request, week_of(name), done=done)


async def _week_page(
    request: Request, week: Week, *, done: str | None = None, error: str | None = None
) -> HTMLResponse:
    """The week; `error` only from this server's own refusal, never from the query string."""
    ctx = context_of(request)
    view = await settlement.week_view(ctx.db, settlement.maker_for(ctx.settings), week, LINES_SHOWN)
    return templates.TemplateResponse(
        request,
        "settlement_week.html",
        {
            "view": view,
            "shown": LINES_SHOWN,
            "outcomes": OUTCOMES,
            "quarantined": QUARANTINED,
            "done": DONE.get(done or ""),
            "error": error,
            "over": week.is_over(ctx.now()),
            **LABELS,
        },
        status_code=409 if error else 200,
    )


@router.post("/settlements/{name}/check", response_class=HTMLResponse)
async def check_week(request: Request, name: str, confirm: Confirmed = None) -> Response:
    week = _confirmed(name, confirm)
    ctx = context_of(request)
    maker = settlement.maker_for(ctx.settings)
    try:
        await settlement.check(ctx.db, maker, ctx.settings, SettleRequest(week, ctx.now()))
    except settlement.WeekActionRefused as refused:
        return await _week_page(request, week, error=str(refused))
    return RedirectResponse(f"/settlements/{week.name}?done=checked", status_code=303)


@router.post("/settlements/{name}/freeze", response_class=HTMLResponse)
async def freeze_week(request: Request, name: str, confirm: Confirmed = None) -> Response:
    week = _confirmed(name, confirm)
    ctx = context_of(request)
    maker = settlement.maker_for(ctx.settings)
    try:
        await settlement.freeze(ctx.db, maker, SettleRequest(week, ctx.now(), freeze=True))
    except settlement.WeekActionRefused as refused:
        return await _week_page(request, week, error=str(refused))
    return RedirectResponse(f"/settlements/{week.name}?done=frozen", status_code=303)


def _confirmed(name: str, confirm: str | None) -> Week:
    week = week_of(name)
    if confirm != "yes":
        raise HTTPException(status_code=400, detail="confirmation box not ticked")
    return week


@router.get("/settlements/{name}/export.{fmt}")
async def export_week(request: Request, name: str, fmt: str) -> FileResponse:
    """The week written to a temporary folder, sent as a file, and the folder removed after."""
    if fmt not in ("xlsx", "csv"):
        raise HTTPException(status_code=404, detail="xlsx or csv")
    ctx = context_of(request)
    week = week_of(name)
    folder = Path(tempfile.mkdtemp(prefix="leadbridge-settlement-"))
    try:
        xlsx = await settlement.export(ctx.db, settlement.maker_for(ctx.settings), week, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    path = xlsx if fmt == "xlsx" else xlsx.with_suffix(".csv")
    return FileResponse(
        path,
        media_type=XLSX if fmt == "xlsx" else CSV,
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
