"""Incidents and their messages (`alert_incidents`, `alert_messages`): what the alert engine
(alerts/engine.py) decided, what the channels delivered, and what failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.alert_message import Severity
from leadbridge.domain.alerts import Finding, Incident
from leadbridge.store.tables import AlertIncident, AlertMessage


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    id: int
    incident_id: int
    moment: str
    channel: str
    subject: str
    text: str
    link: str | None
    created_at: datetime
    due_at: datetime
    attempts: int
    rule: str
    severity: Severity
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    """A channel's last delivery and, if its latest try failed, why."""

    channel: str
    last_sent_at: datetime | None
    failing_since: datetime | None
    last_error: str | None
    waiting: int  # messages not yet delivered


def _incident(row: AlertIncident) -> Incident:
    severity: Severity = "critical" if row.severity == "critical" else "warning"
    return Incident(
        id=row.id,
        rule=row.rule,
        severity=severity,
        opened_at=row.opened_at,
        cause_since=row.cause_since,
        last_firing_at=row.last_firing_at,
        reminded_at=row.reminded_at,
        resolved_at=row.resolved_at,
        count=row.count,
        detail=row.detail,
    )


async def open_incidents(session: AsyncSession) -> dict[str, Incident]:
    rows = await session.scalars(select(AlertIncident).where(AlertIncident.resolved_at.is_(None)))
    return {row.rule: _incident(row) for row in rows}


async def open_incident(
    session: AsyncSession, finding: Finding, severity: Severity, now: datetime
) -> Incident | None:
    """A new open incident of `finding.rule`; None if one is open already (another evaluator,
    during a change of leader, got there first)."""
    row = AlertIncident(
        rule=finding.rule,
        open_rule=finding.rule,
        severity=severity,
        opened_at=now,
        cause_since=min(finding.since or now, now),
        last_firing_at=now,
        count=finding.count,
        detail=finding.detail,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return None
    return _incident(row)


async def still_firing(
    session: AsyncSession, incident_id: int, finding: Finding, now: datetime, *, reminded: bool
) -> None:
    values: dict[str, object] = {
        "last_firing_at": now,
        "count": finding.count,
        "detail": finding.detail,
    }
    if reminded:
        values["reminded_at"] = now
    await session.execute(
        update(AlertIncident).where(AlertIncident.id == incident_id).values(**values)
    )


async def resolve(session: AsyncSession, incident_id: int, now: datetime) -> None:
    await session.execute(
        update(AlertIncident)
        .where(AlertIncident.id == incident_id)
        .values(resolved_at=now, open_rule=None)
    )


async def queue(session: AsyncSession, messages: Sequence[dict[str, object]]) -> None:
    """Rows of `alert_messages` (incident_id, moment, channel, subject, text, link, created_at,
    due_at)."""
    if messages:
        await session.execute(insert(AlertMessage), [dict(row, attempts=0) for row in messages])


async def drop_untold(session: AsyncSession, incident_id: int) -> int:
    """Forget the incident's messages that were never delivered (held back by quiet hours, or
    failing); returns how many were dropped."""
    result = await session.execute(
        delete(AlertMessage).where(
            AlertMessage.incident_id == incident_id, AlertMessage.sent_at.is_(None)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def was_told(session: AsyncSession, incident_id: int) -> bool:
    """Whether any message about the incident reached any channel."""
    statement = select(func.count()).where(
        AlertMessage.incident_id == incident_id, AlertMessage.sent_at.is_not(None)
    )
    return bool(await session.scalar(statement))


async def due(session: AsyncSession, now: datetime, limit: int) -> list[QueuedMessage]:
    """Messages to deliver now, the oldest first."""
    statement = (
        select(AlertMessage, AlertIncident.rule, AlertIncident.severity, AlertIncident.opened_at)
        .join(AlertIncident, AlertIncident.id == AlertMessage.incident_id)
        .where(
            AlertMessage.sent_at.is_(None),
            AlertMessage.given_up_at.is_(None),
            AlertMessage.due_at <= now,
        )
        .order_by(AlertMessage.due_at, AlertMessage.id)
        .limit(limit)
    )
    queued = []
    for message, rule, severity, opened_at in (await session.execute(statement)).all():
        queued.append(
            QueuedMessage(
                id=message.id,
                incident_id=message.incident_id,
                moment=message.moment,
                channel=message.channel,
                subject=message.subject,
                text=message.text,
                link=message.link,
                created_at=message.created_at,
                due_at=message.due_at,
                attempts=message.attempts,
                rule=rule,
                severity="critical" if severity == "critical" else "warning",
                opened_at=opened_at,
            )
        )
    return queued


async def delivered(session: AsyncSession, message_id: int, now: datetime) -> None:
    await session.execute(
        update(AlertMessage)
        .where(AlertMessage.id == message_id)
        .values(sent_at=now, attempts=AlertMessage.attempts + 1, last_error=None)
    )


async def failed(
    session: AsyncSession,
    message_id: int,
    error: str,
    now: datetime,
    *,
    retry_at: datetime | None,
) -> None:
    """A try failed; tried again at `retry_at`, or never again when it is None."""
    values: dict[str, object] = {
        "attempts": AlertMessage.attempts + 1,
        "last_error": error,
        "failed_at": now,
    }
    if retry_at is None:
        values["given_up_at"] = now
    else:
        values["due_at"] = retry_at
    await session.execute(
        update(AlertMessage).where(AlertMessage.id == message_id).values(**values)
    )


async def recent_incidents(session: AsyncSession, limit: int) -> list[Incident]:
    """Open incidents first, then the most recently opened."""
    statement = (
        select(AlertIncident)
        .order_by(AlertIncident.resolved_at.is_(None).desc(), AlertIncident.opened_at.desc())
        .limit(limit)
    )
    return [_incident(row) for row in await session.scalars(statement)]


async def channel_health(session: AsyncSession) -> list[ChannelHealth]:
    """Per channel that ever had a message: its last delivery, and its latest failure when the
    latest try failed."""
    channels = (
        await session.execute(
            select(
                AlertMessage.channel,
                func.max(AlertMessage.sent_at),
                func.max(AlertMessage.failed_at),
                func.count(AlertMessage.id).filter(
                    AlertMessage.sent_at.is_(None), AlertMessage.given_up_at.is_(None)
                ),
            ).group_by(AlertMessage.channel)
        )
    ).all()
    health = []
    for channel, last_sent, last_failed, waiting in channels:
        failing = last_failed is not None and (last_sent is None or last_failed > last_sent)
        error = None
        if failing:
            error = await session.scalar(
                select(AlertMessage.last_error)
                .where(AlertMessage.channel == channel, AlertMessage.failed_at == last_failed)
                .limit(1)
            )
        health.append(
            ChannelHealth(
                channel=channel,
                last_sent_at=last_sent,
                failing_since=last_failed if failing else None,
                last_error=error,
                waiting=int(waiting),
            )
        )
    return health


async def totals(session: AsyncSession) -> tuple[int, int, int]:
    """Incidents opened, incidents resolved, messages delivered: the demo's summary."""
    opened = await session.scalar(select(func.count(AlertIncident.id)))
    resolved = await session.scalar(
        select(func.count(AlertIncident.id)).where(AlertIncident.resolved_at.is_not(None))
    )
    sent = await session.scalar(
        select(func.count(AlertMessage.id)).where(AlertMessage.sent_at.is_not(None))
    )
    return int(opened or 0), int(resolved or 0), int(sent or 0)


async def messages_of(session: AsyncSession, incident_id: int) -> Sequence[AlertMessage]:
    statement = (
        select(AlertMessage)
        .where(AlertMessage.incident_id == incident_id)
        .order_by(AlertMessage.id)
    )
    return (await session.scalars(statement)).all()
