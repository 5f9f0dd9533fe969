"""Incidents: when a rule's cause opens one, reminds of it and resolves it.

One incident per rule at a time. It opens the first time its rule fires, which sends one
message. While the cause stays, a reminder goes every `remind_every`; new sightings only update
its count. It resolves once the cause has been gone for `resolve_after`, which sends one more
message: a cause that flaps (gone for a minute, back again) stays the same incident instead of
sending an "opened" and a "resolved" every minute.

Quiet hours hold back warnings (not critical alerts) until they end; an incident opened and
resolved within one quiet night is never told at all: by morning there is nothing to act on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadbridge.domain.alert_message import Severity


@dataclass(frozen=True, slots=True)
class Finding:
    """What one rule sees now. `count`: how many items (statuses, events, minutes) are wrong;
    `detail`: one Russian line about them; `since`: when the cause began, where the data says."""

    rule: str
    firing: bool
    count: int = 0
    detail: str = ""
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    rule: str
    severity: Severity
    opened_at: datetime
    cause_since: datetime  # the cause's own start when known, else `opened_at`
    last_firing_at: datetime
    reminded_at: datetime | None
    resolved_at: datetime | None
    count: int
    detail: str

    @property
    def open(self) -> bool:
        return self.resolved_at is None


class Verdict(enum.StrEnum):
    OPEN = "open"  # a new incident, and its message
    REMIND = "remind"  # still firing, and a reminder is due
    KEEP = "keep"  # still firing: count and detail updated, nothing sent
    RESOLVE = "resolve"  # the cause has been gone long enough
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True)
class Lifecycle:
    remind_every: timedelta
    resolve_after: timedelta


def judge(incident: Incident | None, finding: Finding, now: datetime, life: Lifecycle) -> Verdict:
    """What to do about `finding`, given the rule's open incident (None when it has none)."""
    if incident is None:
        return Verdict.OPEN if finding.firing else Verdict.NOTHING
    if finding.firing:
        last_told = incident.reminded_at or incident.opened_at
        return Verdict.REMIND if now - last_told >= life.remind_every else Verdict.KEEP
    if now - incident.last_firing_at >= life.resolve_after:
        return Verdict.RESOLVE
    return Verdict.NOTHING  # calm for now; resolved only if it stays so


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local [start, end) in `zone`; may cross midnight ("22:00-08:00")."""

    zone: ZoneInfo
    start: time
    end: time

    @classmethod
    def parse(cls, zone: str, hours: str) -> QuietHours | None:
        """`hours` "HH:MM-HH:MM", or "" for none."""
        if not hours.strip():
            return None
        start, separator, end = hours.partition("-")
        try:
            first, last = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        except ValueError:
            separator = ""
        if not separator:
            raise ValueError(f"quiet hours {hours!r} are not HH:MM-HH:MM")
        if first == last:
            raise ValueError(f"quiet hours {hours!r} start and end at the same minute")
        return cls(ZoneInfo(zone), first, last)

    def release_at(self, now: datetime) -> datetime:
        """`now` outside quiet hours; inside them, the moment they end (UTC)."""
        local = now.astimezone(self.zone)
        clock = local.time()
        crosses_midnight = self.start > self.end
        if crosses_midnight:
            inside = clock >= self.start or clock < self.end
        else:
            inside = self.start <= clock < self.end
        if not inside:
            return now
        end_day = local.date()
        if crosses_midnight and clock >= self.start:
            end_day += timedelta(days=1)
        return datetime.combine(end_day, self.end, tzinfo=self.zone).astimezone(UTC)


def due_at(severity: Severity, now: datetime, quiet: QuietHours | None) -> datetime:
    """When a message of `severity` may go: critical at once, a warning after quiet hours."""
    if severity == "critical" or quiet is None:
        return now
    return quiet.release_at(now)
