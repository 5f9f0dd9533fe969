"""`leadbridge alerts list` and `alerts test CHANNEL`: the incidents as the page shows them,
and one test message through a channel, to check it before an incident needs it."""

from __future__ import annotations

from datetime import UTC, datetime

from leadbridge.channels import ChannelError
from leadbridge.channels.build import channel_named
from leadbridge.config import Settings
from leadbridge.domain.alert_message import AlertMessage, Moment
from leadbridge.domain.alert_rules import RULES
from leadbridge.domain.alert_texts import duration
from leadbridge.store import alerts as store
from leadbridge.store.database import Database

SHOWN = 50


async def incident_lines(settings: Settings, *, limit: int = SHOWN) -> list[str]:
    """One line per incident, open ones first: id, state, severity, since, rule, count, detail."""
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            incidents = await store.recent_incidents(session, limit)
            health = await store.channel_health(session)
    finally:
        await db.dispose()
    now = datetime.now(UTC)
    lines = []
    for incident in incidents:
        state = "open" if incident.open else f"resolved {incident.resolved_at:%Y-%m-%d %H:%M}Z"
        lasted = duration((incident.resolved_at or now) - incident.cause_since)
        title = RULES[incident.rule].title if incident.rule in RULES else incident.rule
        lines.append(
            f"#{incident.id} {state} {incident.severity} since "
            f"{incident.cause_since:%Y-%m-%d %H:%M}Z ({lasted}) {incident.rule}: {title}; "
            f"{incident.count} — {incident.detail}"
        )
    if not lines:
        lines.append("no incidents")
    for channel in health:
        if channel.failing_since is not None:
            lines.append(
                f"channel {channel.channel} failing since {channel.failing_since:%Y-%m-%d %H:%M}Z: "
                f"{channel.last_error}"
            )
    return lines


def test_message(now: datetime) -> AlertMessage:
    text = (
        "Проверка канала оповещений leadbridge.\n"
        "Если вы это читаете, оповещения об авариях дойдут сюда."
    )
    return AlertMessage(
        incident_id=0,
        rule="test",
        severity="warning",
        moment=Moment.OPENED,
        subject="Проверка канала оповещений leadbridge",
        text=text,
        link=None,
        since=now,
    )


async def send_test(settings: Settings, name: str) -> str:
    """Send one test message through `name`; `ChannelError` says why it could not."""
    channel = channel_named(settings.alerts, name)
    try:
        await channel.send(test_message(datetime.now(UTC)))
    finally:
        await channel.aclose()
    return f"test message delivered through {name}"


__all__ = ["ChannelError", "incident_lines", "send_test"]
