"""Скорость реакции: how long sellers waited for the first call, per Moscow week of the request,
team and manager — p50, p90 and breaches of the SLA (`domain/first_contact.py`).

The last `WEEKS_SHOWN` weeks by default, or one week by `?week=2026-W48`. Managers are amoCRM
user ids: leadbridge keeps no copy of amoCRM's users, so a manager is shown as «Менеджер 123».
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from leadbridge.domain import first_contact as speed
from leadbridge.domain.periods import Week, WeekError
from leadbridge.security.roles import FINANCE, OPERATOR
from leadbridge.sync.stats_command import load_first_contact
from leadbridge.web.auth import require_role
from leadbridge.web.context import context_of
from leadbridge.web.pages.common import templates
from leadbridge.web.pages.numbers import span

router = APIRouter(dependencies=[Depends(require_role(OPERATOR, FINANCE))])
WEEKS_SHOWN = 8
NO_TEAM = "Без команды"
NO_MANAGER = "Не назначен"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a table, its labels and waits in Russian."""

    week: str
    team: str
    manager: str
    speed: speed.Speed
    p50: str
    p90: str


def manager_label(manager: int | None) -> str:
    return NO_MANAGER if manager is None else f"Менеджер {manager}"


def wait_label(wait: timedelta | None) -> str:
    """«35 с», «4 мин», «1 ч 20 мин», «2 дн 3 ч»: a wait over a weekend reads in days."""
    return "—" if wait is None else span(wait.total_seconds())


def _row(week: Week, team: str, manager: str, s: speed.Speed) -> Row:
    return Row(week.name, team, manager, s, wait_label(s.p50), wait_label(s.p90))


@router.get("/first-contact", response_class=HTMLResponse)
async def first_contact_page(
    request: Request, week: Annotated[str, Query(max_length=16)] = ""
) -> HTMLResponse:
    ctx = context_of(request)
    now = ctx.now()
    try:
        chosen = Week.parse(week) if week else None
    except WeekError as error:
        raise HTTPException(status_code=400, detail=str(error)) from error
    last = chosen or Week.of(now)
    first = chosen or Week(last.monday - timedelta(weeks=WEEKS_SHOWN - 1))
    contacts = await load_first_contact(ctx.db, ctx.settings, first.starts_at, last.ends_at)
    managers = [
        _row(r.week, r.team or NO_TEAM, manager_label(r.manager), r.speed)
        for r in speed.per_manager(contacts, now)
    ]
    weeks = [_row(w.week, "", "", w.speed) for w in reversed(speed.per_week(contacts, now))]
    return templates.TemplateResponse(
        request,
        "first_contact.html",
        {
            "managers": managers,
            "weeks": weeks,
            "chosen": chosen.name if chosen else None,
            "first": first.name,
            "last": last.name,
            "contact_stage": ctx.settings.funnel.stage(ctx.settings.funnel.first_contact_stage),
        },
    )
