"""The words of an alert: a Russian subject and text that say what happened, since when, how
many items, and where to look. The same text goes to every channel."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from leadbridge.domain.alert_message import AlertMessage, Moment
from leadbridge.domain.alert_rules import Rule
from leadbridge.domain.alerts import Incident
from leadbridge.domain.spans import SpanUnits, two_units

MARKS = {
    (Moment.OPENED, "critical"): "🔴 Авария",
    (Moment.OPENED, "warning"): "🟡 Внимание",
    (Moment.REMINDER, "critical"): "⏰ Всё ещё авария",
    (Moment.REMINDER, "warning"): "⏰ Всё ещё",
    (Moment.RESOLVED, "critical"): "✅ Решено",
    (Moment.RESOLVED, "warning"): "✅ Решено",
}
_UNITS = SpanUnits(" дн", " ч", " мин", " с", between=" ")


def compose(
    rule: Rule,
    incident: Incident,
    moment: Moment,
    now: datetime,
    *,
    zone: ZoneInfo,
    dashboard_url: str | None,
) -> AlertMessage:
    subject = f"{MARKS[moment, rule.severity]}: {rule.title}"
    lines = [subject]
    if moment is Moment.RESOLVED:
        lines.append(f"Длилось {duration(now - incident.cause_since)}.")
        lines.append(f"С {local_time(incident.cause_since, zone)} по {local_time(now, zone)}.")
    else:
        if incident.detail:
            lines.append(incident.detail[:1].upper() + incident.detail[1:] + ".")
        since = incident.cause_since
        lines.append(f"С {local_time(since, zone)} (уже {duration(now - since)}).")
    link = f"{dashboard_url.rstrip('/')}{rule.page}" if dashboard_url else None
    if link:
        lines.append(f"Подробнее: {link}")
    return AlertMessage(
        incident_id=incident.id,
        rule=rule.code,
        severity=rule.severity,
        moment=moment,
        subject=subject,
        text="\n".join(lines),
        link=link,
        since=incident.cause_since,
    )


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%d.%m.%Y %H:%M} {local.tzname()}"


def duration(span: timedelta) -> str:
    """«45 мин», «2 ч 5 мин», «3 дн 4 ч»; under a minute «меньше минуты»."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "меньше минуты"
    # Whole minutes: the seconds are dropped, so the phrase never goes below «мин».
    return two_units(minutes * 60, _UNITS)
