"""The metrics the web layer updates; all but one are defined in `leadbridge.metrics`.

`FIRST_CONTACT` lives here because it is read from the database when /metrics is scraped: it
is a histogram of stored deals (every worker's), not of what this one process observed, so it
needs the store, which `leadbridge.metrics` sits below.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import REGISTRY
from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.config import Settings
from leadbridge.metrics import (
    ALERT_CHANNEL_FAILING,
    ALERTS_OPEN,
    AVITO_QUARANTINED,
    DRIFT,
    INBOX_BACKLOG,
    LEADS,
    LOOPS,
    OLDEST_PENDING,
    OUTBOX_DEPTH,
    QUARANTINED_NOW,
    WEBHOOK_LAG,
    WEBHOOKS,
)
from leadbridge.store import first_contact
from leadbridge.sync.routing import routing_of

# Seconds: a minute, the default SLA of 15 minutes and around it, up to three days (a weekend).
FIRST_CONTACT_BOUNDS = (60.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0,
                        86400.0, 259200.0)  # fmt: skip
NO_TEAM = "none"  # a city no team covers, or no [routing] at all


@dataclass
class TeamWaits:
    at_most: list[int]
    count: int = 0
    total_seconds: float = 0.0


class FirstContactHistogram(Collector):
    """`leadbridge_first_contact_seconds{team}`: each contacted deal's wait from the request's
    creation to its first contact (`domain/first_contact.py`), bucketed in the database. A
    deal belongs to the team that covers its city now; every configured team is shown, at 0
    until its first contact, so that a rate over it starts from the first one."""

    def __init__(self) -> None:
        self.teams: dict[str, TeamWaits] = {}

    async def refresh(self, session: AsyncSession, settings: Settings) -> None:
        """Called by /metrics before the registry is written out."""
        routing = routing_of(settings)
        teams = {team.name: _empty() for team in (routing.teams if routing else ())}
        waits_by_city = await first_contact.histogram(
            session, settings.funnel, FIRST_CONTACT_BOUNDS
        )
        for city in waits_by_city:
            team = routing.team_for(city.city) if routing else None
            waits = teams.setdefault(team.name if team else NO_TEAM, _empty())
            waits.at_most = [a + b for a, b in zip(waits.at_most, city.at_most, strict=True)]
            waits.count += city.count
            waits.total_seconds += city.total_seconds
        self.teams = teams

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "leadbridge_first_contact_seconds",
            "Seconds from a request's creation on Avito to its deal's first entry into the "
            "contact stage, by team (read from the database when scraped)",
            labels=["team"],
        )
        for team, waits in sorted(self.teams.items()):
            buckets = [
                (_bound(bound), float(n))
                for bound, n in zip(FIRST_CONTACT_BOUNDS, waits.at_most, strict=True)
            ]
            buckets.append(("+Inf", float(waits.count)))
            family.add_metric([team], buckets, waits.total_seconds)
        yield family


def _empty() -> TeamWaits:
    return TeamWaits([0] * len(FIRST_CONTACT_BOUNDS))


def _bound(bound: float) -> str:
    return repr(bound)  # as prometheus_client writes its own: "900.0"


FIRST_CONTACT = FirstContactHistogram()
REGISTRY.register(FIRST_CONTACT)

__all__ = [
    "ALERTS_OPEN",
    "ALERT_CHANNEL_FAILING",
    "AVITO_QUARANTINED",
    "DRIFT",
    "FIRST_CONTACT",
    "INBOX_BACKLOG",
    "LEADS",
    "LOOPS",
    "OLDEST_PENDING",
    "OUTBOX_DEPTH",
    "QUARANTINED_NOW",
    "WEBHOOKS",
    "WEBHOOK_LAG",
]
