"""Оповещения: the incidents the alert rules opened (open ones first, then the recent), and
each alert channel's state — a channel that fails is shown here with its error, so a silent
Telegram bot does not go unnoticed. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from leadbridge.config.alerts import AlertSettings
from leadbridge.domain.alert_rules import RULES
from leadbridge.domain.alert_texts import duration
from leadbridge.domain.alerts import Incident
from leadbridge.security.roles import OPERATOR
from leadbridge.store import alerts as store
from leadbridge.store.alerts import ChannelHealth
from leadbridge.web.auth import CurrentUser, require_role
from leadbridge.web.context import context_of
from leadbridge.web.pages.common import templates

router = APIRouter()
Operator = Annotated[CurrentUser, Depends(require_role(OPERATOR))]
SHOWN = 100
CHANNEL_NAMES = {"telegram": "Telegram", "email": "Электронная почта", "webhook": "Вебхук (JSON)"}
SEVERITY_NAMES = {"critical": "авария", "warning": "внимание"}


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    title: str
    severity: str
    critical: bool
    since: datetime
    resolved_at: datetime | None
    lasted: str
    count: int
    detail: str
    page: str


@dataclass(frozen=True, slots=True)
class ChannelRow:
    name: str
    failing: bool
    last_sent_at: datetime | None
    failing_since: datetime | None
    last_error: str | None
    waiting: int


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request, _user: Operator) -> HTMLResponse:
    ctx = context_of(request)
    async with ctx.db.transaction() as session:
        incidents = await store.recent_incidents(session, SHOWN)
        health = await store.channel_health(session)
    now = datetime.now(UTC)
    rows = [_incident_row(incident, now) for incident in incidents]
    return templates.TemplateResponse(
        request,
        "alerts.html",
        {
            "open": [row for row in rows if row.resolved_at is None],
            "closed": [row for row in rows if row.resolved_at is not None],
            "channels": channel_rows(ctx.settings.alerts, health),
            "enabled": ctx.settings.alerts.enabled,
        },
    )


def _incident_row(incident: Incident, now: datetime) -> IncidentRow:
    rule = RULES.get(incident.rule)
    end = incident.resolved_at or now
    return IncidentRow(
        id=incident.id,
        title=rule.title if rule else incident.rule,
        severity=SEVERITY_NAMES.get(incident.severity, incident.severity),
        critical=incident.severity == "critical",
        since=incident.cause_since,
        resolved_at=incident.resolved_at,
        lasted=duration(end - incident.cause_since),
        count=incident.count,
        detail=incident.detail,
        page=rule.page if rule else "/",
    )


def channel_rows(settings: AlertSettings, health: list[ChannelHealth]) -> list[ChannelRow]:
    """Every configured channel, and any other that still has messages on record."""
    configured = [
        name
        for name, on in (
            ("telegram", settings.telegram.enabled),
            ("email", settings.email.enabled),
            ("webhook", settings.webhook.enabled),
        )
        if on
    ]
    known = {entry.channel: entry for entry in health}
    names = configured + [name for name in known if name not in configured]
    rows = []
    for name in names:
        entry = known.get(name)
        rows.append(
            ChannelRow(
                name=CHANNEL_NAMES.get(name, name),
                failing=bool(entry and entry.failing_since),
                last_sent_at=entry.last_sent_at if entry else None,
                failing_since=entry.failing_since if entry else None,
                last_error=entry.last_error if entry else None,
                waiting=entry.waiting if entry else 0,
            )
        )
    return rows
