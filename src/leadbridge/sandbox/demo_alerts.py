"""The demo's alerts: the Telegram simulator and the SMTP sink as its channels, and under
`--chaos` three causes provoked on purpose, each of which must open exactly one incident that
is resolved by the end:

- amoCRM blocks the account for a few seconds (its real 403 page, to every caller);
- an operator parks a status waiting for Avito, and unparks it a little later;
- Avito falls silent: no request for longer than usual.

The demo's clock for alerts is compressed (rules every second, a calm spell of three seconds,
silence unusual after six), so that all of it fits in a run of a few minutes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from leadbridge.config.alerts import AlertSettings, ThresholdSettings
from leadbridge.domain.alerts import Incident
from leadbridge.sandbox.amocrm import AmoSandbox
from leadbridge.sandbox.telegram.alert_sandbox import AlertSinks
from leadbridge.store import alerts as alert_store
from leadbridge.store import operator_actions, outbox_view
from leadbridge.store.database import Database
from leadbridge.store.operator_actions import ActionRefused

PROVOKED = ("amocrm_blocked", "parked_statuses", "avito_silent")
BLOCK_S = 6.0
PARKED_S = 6.0
# Requests reach the bridge in bursts: the feed is read every 5 s, and under --chaos a read may
# fail. Silence counts from 20 s, so the demo pauses its requests for twice that.
SILENCE_S = 40.0
SETTLE_WAIT_S = 60.0  # at the end, how long open incidents may take to resolve


def alert_settings(sinks: AlertSinks, *, compressed: bool) -> AlertSettings:
    """Telegram and e-mail to the sandbox's sinks; with `compressed`, the demo's fast clock."""
    channels: dict[str, Any] = {
        "telegram": sinks.telegram_settings(),
        "email": sinks.email_settings(["duty@sandbox.leadbridge.example"]),
    }
    if not compressed:
        return AlertSettings(**channels)
    return AlertSettings(
        interval_s=1.0,
        amocrm_check_s=2.0,  # a block of 6 s is seen; amoCRM's 7 requests a second stay for work
        resolve_after_minutes=0.05,
        working_hours="00:00-24:00",
        time_zone="Europe/Moscow",
        thresholds=ThresholdSettings(
            parked_minutes=PARKED_S / 2 / 60,
            silent_floor_minutes=SILENCE_S / 2 / 60,
            # The chaos profile's own errors and 429s are not the incident the demo provokes.
            avito_error_share=0.9,
        ),
        **channels,
    )


@dataclass
class Provocations:
    """What `--chaos` did on purpose, and when (for the summary)."""

    done: list[str] = field(default_factory=list)
    # After the demo's last request Avito is silent for good, and rightly told so: incidents
    # opened from then on are reported apart, not held against the provoked ones.
    traffic_ended_at: datetime | None = None

    def during_traffic(self, incident: Incident) -> bool:
        return self.traffic_ended_at is None or incident.opened_at <= self.traffic_ended_at

    async def block_amocrm(self, amocrm: AmoSandbox) -> None:
        amocrm.block.start(amocrm.now(), BLOCK_S)
        self.done.append("amocrm_blocked")

    async def park_a_status(self, db: Database) -> None:
        """Park one status waiting for Avito, as an operator would, and unpark it later."""
        for _ in range(3000):  # a status waits only a moment: look again until one is caught
            parked = await _park_one(db)
            if parked is not None:
                self.done.append("parked_statuses")
                await asyncio.sleep(PARKED_S)
                async with db.transaction() as session:
                    await operator_actions.act(
                        session, item_id=parked, action="unpark", actor="demo",
                        note="демо: снято с паузы", now=datetime.now(UTC),
                    )  # fmt: skip
                return
            await asyncio.sleep(0.02)

    async def fall_silent(self) -> None:
        self.done.append("avito_silent")
        await asyncio.sleep(SILENCE_S)


async def _park_one(db: Database) -> int | None:
    async with db.transaction() as session:
        for item in await outbox_view.waiting(session, 20):
            try:
                await operator_actions.act(
                    session, item_id=item.id, action="park", actor="demo",
                    note="демо: пауза для проверки оповещений", now=datetime.now(UTC),
                )  # fmt: skip
            except ActionRefused:
                continue  # sent meanwhile
            return item.id
    return None


async def settle_incidents(
    db: Database, provoked: Provocations, seconds: float = SETTLE_WAIT_S
) -> None:
    """Wait (bounded) until the provoked incidents are resolved: the last cause may have ended
    a moment ago."""
    for _ in range(int(seconds * 2)):
        async with db.transaction() as session:
            incidents = await alert_store.recent_incidents(session, 1000)
        if not [i for i in incidents if i.open and _provoked(i, provoked)]:
            return
        await asyncio.sleep(0.5)


def _provoked(incident: Incident, provoked: Provocations) -> bool:
    return incident.rule in PROVOKED and provoked.during_traffic(incident)


async def alerts_summary(
    db: Database, sinks: AlertSinks, provoked: Provocations | None
) -> dict[str, Any]:
    """`"alerts": {"opened", "resolved", "messages", …}` of the demo's JSON; with provocations,
    `ok` says whether each provoked cause opened exactly one incident, resolved by now."""
    async with db.transaction() as session:
        opened, resolved, _sent = await alert_store.totals(session)
        incidents = await alert_store.recent_incidents(session, 1000)
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{sinks.telegram_url}/sandbox/messages")
    messages = len(answer.json()["messages"])
    by_rule: dict[str, int] = {}
    for incident in incidents:
        by_rule[incident.rule] = by_rule.get(incident.rule, 0) + 1
    summary: dict[str, Any] = {
        "opened": opened,
        "resolved": resolved,
        "messages": messages,
        "by_rule": dict(sorted(by_rule.items())),
    }
    if provoked is not None:
        summary |= _judged(incidents, provoked)
    return summary


def _judged(incidents: list[Incident], provoked: Provocations) -> dict[str, Any]:
    """Each provoked cause: exactly one incident while requests were coming, resolved."""
    ours = [incident for incident in incidents if _provoked(incident, provoked)]
    counts = {rule: sum(i.rule == rule for i in ours) for rule in PROVOKED}
    still_open = sorted(incident.rule for incident in ours if incident.open)
    after = sorted(incident.rule for incident in incidents if not provoked.during_traffic(incident))
    judged: dict[str, Any] = {
        "provoked": counts,
        "ok": all(n == 1 for n in counts.values()) and not still_open,
    }
    if still_open:
        judged["still_open"] = still_open
    if after:
        judged["after_last_request"] = after
    return judged
