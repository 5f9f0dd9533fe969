"""The overview's headline: «Всё в порядке», or what is wrong and since when.

Judged by the alert rules themselves (`domain/alert_rules.py`) on the same thresholds, read
live from our records when the page is drawn, so the headline and the alerts never disagree on
what counts as a problem. What only the alert engine can see (our webhook in amoCRM, the token,
Avito's error share) comes from its open incidents; a stalled loop is a problem too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from leadbridge.alerts.readings import ReadingsSource, thresholds_of
from leadbridge.config import Settings
from leadbridge.domain import loop_health
from leadbridge.domain.alert_rules import RULES, AmoCrmReading, evaluate
from leadbridge.domain.alerts import Incident
from leadbridge.domain.loop_health import LoopRecord
from leadbridge.store.database import Database
from leadbridge.web.pages.live import LiveSnapshot


@dataclass(frozen=True, slots=True)
class Problem:
    title: str
    detail: str
    since: datetime | None
    page: str
    critical: bool


async def problems(
    db: Database,
    settings: Settings,
    live: LiveSnapshot,
    *,
    incidents: dict[str, Incident],
    loops: list[LoopRecord],
    now: datetime,
) -> list[Problem]:
    """The critical ones first, each once."""
    readings = await ReadingsSource(db, settings.alerts, None).read(now)
    blocked = incidents["amocrm_blocked"].cause_since if "amocrm_blocked" in incidents else None
    if live.blocked_until is not None:
        blocked = blocked or now
    readings = replace(readings, amocrm=AmoCrmReading(blocked_since=blocked))
    found: dict[str, Problem] = {}
    for finding in evaluate(readings, thresholds_of(settings.alerts)):
        if finding.firing:
            seen = RULES[finding.rule]
            found[seen.code] = Problem(
                seen.title, finding.detail, finding.since, seen.page, seen.severity == "critical"
            )
    for code, incident in incidents.items():  # what only the engine's own look can tell
        told = RULES.get(code)
        if told is not None and code not in found:
            found[code] = Problem(
                told.title, incident.detail, incident.cause_since, told.page,
                told.severity == "critical",
            )  # fmt: skip
    listed = sorted(found.values(), key=lambda problem: not problem.critical)
    for line in loop_health.problems(loops, now):
        listed.append(Problem("Процессы моста", line, None, "/", True))
    return listed
