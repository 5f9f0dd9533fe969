"""Сверка: reconciliation runs with their findings by drift kind and action, a run's items with
links to the leads, and the button that starts a run (with or without repair) in the background.

Findings still on their way to Avito («в пути», `IN_FLIGHT`) are counted apart: the kinds'
columns and the headline count only real differences, so a run during a backlog does not read
as hundreds of statuses lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leadbridge.domain.reconciliation import DriftKind
from leadbridge.security.roles import OPERATOR
from leadbridge.store import reconciliation as store
from leadbridge.sync.reconcile_launch import AlreadyRunning, ReconcileLauncher
from leadbridge.sync.reconciler import IN_FLIGHT, PERSON, QUEUED, REPAIRABLE
from leadbridge.web.auth import CurrentUser, require_role
from leadbridge.web.context import context_of
from leadbridge.web.pages.common import templates
from leadbridge.web.pages.labels import avito_status
from leadbridge.web.pages.numbers import rubles
from leadbridge.web.params import RowId

router = APIRouter()
Operator = Annotated[CurrentUser, Depends(require_role(OPERATOR))]
RUNS_SHOWN = 30
ITEMS_SHOWN = 1000
KINDS = {
    DriftKind.MISSING_IN_CRM.value: "Нет сделки в amoCRM",
    DriftKind.MISSING_IN_AVITO.value: "Статус не дошёл до Авито",
    DriftKind.STATUS_MISMATCH.value: "Статус расходится",
    DriftKind.AMOUNT_MISMATCH.value: "Сумма расходится",
}
ACTIONS = {
    QUEUED: "поставлено в очередь",
    REPAIRABLE: "можно исправить",
    PERSON: "нужен человек",
    IN_FLIGHT: "в пути",
}
LABELS = {"kinds": KINDS, "actions": ACTIONS}
# The details `domain/reconciliation` writes (in English, for the CLI and the logs), read back in
# Russian with the stage and status names; a detail not listed here shows as stored.
FIXED_DETAILS = {
    "no deal was created for the request": "Сделка для заявки не создана",
    "the deal is gone from the pipeline": "Сделки больше нет в воронке",
}
DETAILS = (
    (
        re.compile(r"Avito has (?P<has>\S+), it acknowledged (?P<ack>\S+)"),
        "В Авито статус {has}, а Авито подтверждал {ack}",
    ),
    (
        re.compile(r"stage (?P<stage>\S+) implies less than (?P<has>\S+) Avito already has"),
        "Этап {stage} означает меньше, чем статус {has}, который уже есть в Авито",
    ),
    (
        re.compile(r"stage (?P<stage>\S+) implies (?P<statuses>.+)"),
        "Этапу {stage} нужны статусы: {statuses}",
    ),
    (
        re.compile(r"Avito closed the lead; the deal is in (?P<stage>\S+)"),
        "Авито закрыл заявку, а сделка на этапе {stage}",
    ),
    (
        re.compile(
            r"(?P<queued>\S+) was queued, Avito acknowledged only (?P<ack>\S+), "
            r"and nothing waits to be sent"
        ),
        "В очередь ставился статус {queued}, Авито подтвердил только {ack}, и отправлять нечего",
    ),
    (
        re.compile(r"Avito got (?P<got>\S+) ₽ for (?P<status>\S+); the deal says (?P<deal>\S+) ₽"),
        "Авито получил {got} за статус {status}, а в сделке {deal}",
    ),
)


def detail_text(detail: str | None, stage_names: dict[str, str]) -> str:
    if not detail:
        return ""
    if detail in FIXED_DETAILS:
        return FIXED_DETAILS[detail]
    for pattern, russian in DETAILS:
        if found := pattern.fullmatch(detail):
            return russian.format(
                **{k: _part(k, v, stage_names) for k, v in found.groupdict().items()}
            )
    return detail


def _part(name: str, value: str, stage_names: dict[str, str]) -> str:
    if name == "stage":
        return f"„{stage_names.get(value, value)}“"
    if name in ("got", "deal"):
        roubles, _, kopecks = value.partition(".")
        if roubles.isdigit() and kopecks.isdigit():
            return rubles(int(roubles) * 100 + int(kopecks), always_kopecks=True)
        return f"{value} ₽"
    return ", ".join(f"„{avito_status(status)}“" for status in value.split(", "))


def launcher_of(request: Request) -> ReconcileLauncher:
    """One launcher per application: it knows whether a run it started is still going."""
    state = request.app.state
    if not isinstance(getattr(state, "reconcile_launcher", None), ReconcileLauncher):
        state.reconcile_launcher = ReconcileLauncher.for_settings(context_of(request).settings)
    launcher: ReconcileLauncher = state.reconcile_launcher
    return launcher


@router.get("/reconciliation", response_class=HTMLResponse)
async def runs_page(request: Request, _user: Operator) -> HTMLResponse:
    return await _runs(request)


async def _runs(request: Request, error: str | None = None) -> HTMLResponse:
    """The runs; `error` only from this server's own refusal, never from the query string."""
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        runs = await store.recent_runs(session, RUNS_SHOWN)
        counts = await store.counts_of_runs(session, [run.id for run in runs])
    launcher = launcher_of(request)
    finished = next((run for run in runs if run.finished_at is not None), None)
    return templates.TemplateResponse(
        request,
        "reconciliation.html",
        {
            "runs": runs,
            "by_kind": {run.id: _by(_differences(counts[run.id]), 0) for run in runs},
            "by_action": {run.id: _by(counts[run.id], 1) for run in runs},
            "latest": finished,
            "latest_summary": _summary(counts[finished.id]) if finished else None,
            "launch": launcher.last,
            "running": launcher.running,
            "error": error,
            **LABELS,
        },
        status_code=409 if error else 200,
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """A run in three numbers: real differences, those left to a person, and those in flight."""

    differences: int
    for_a_person: int
    in_flight: int


def _summary(counts: dict[tuple[str, str], int]) -> Summary:
    found = _differences(counts)
    return Summary(
        differences=sum(found.values()),
        for_a_person=sum(n for (_, action), n in found.items() if action == PERSON),
        in_flight=sum(n for (_, action), n in counts.items() if action == IN_FLIGHT),
    )


def _differences(counts: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """The findings that are differences: not those still on their way to Avito."""
    return {key: n for key, n in counts.items() if key[1] != IN_FLIGHT}


def _by(counts: dict[tuple[str, str], int], part: int) -> dict[str, int]:
    totals: dict[str, int] = {}
    for key, count in counts.items():
        totals[key[part]] = totals.get(key[part], 0) + count
    return totals


@router.get("/reconciliation/{run_id}", response_class=HTMLResponse)
async def run_page(request: Request, run_id: RowId, _user: Operator) -> HTMLResponse:
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        run = await store.run_of(session, run_id)
        if run is None:
            raise HTTPException(status_code=404, detail="no such run")
        items = await store.run_items(session, run_id, ITEMS_SHOWN)
        counts = await store.counts_by_kind(session, run_id)
    return templates.TemplateResponse(
        request,
        "reconciliation_run.html",
        {
            "run": run,
            "items": items,
            "summary": _summary(counts),
            "in_flight": IN_FLIGHT,
            "shown": ITEMS_SHOWN,
            "stage_names": {stage.key: stage.name for stage in ctx.settings.funnel.stages},
            "detail_text": detail_text,
            **LABELS,
        },
    )


@router.post("/reconciliation/run", response_class=HTMLResponse)
async def start_run(
    request: Request, user: Operator, fix: Annotated[str | None, Form()] = None
) -> Response:
    try:
        launcher_of(request).start(fix=fix == "yes", by=user.name)
    except AlreadyRunning:
        return await _runs(request, error="Сверка уже идёт: дождитесь её конца")
    return RedirectResponse("/reconciliation", status_code=303)
