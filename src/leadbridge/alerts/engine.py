"""The alert engine: every `alerts.interval_s`, in the one process elected for the job, read,
judge every rule, record what changed in the incidents, queue their messages and deliver what is
due. A pass is idempotent: the incidents and their queued messages are in the database, so a
new leader after a crash goes on where the old one stopped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.alerts.delivery import deliver_due
from leadbridge.alerts.readings import ReadingsSource, thresholds_of
from leadbridge.channels import Channel
from leadbridge.config.alerts import AlertSettings
from leadbridge.domain.alert_message import Moment
from leadbridge.domain.alert_rules import RULES, Rule, evaluate
from leadbridge.domain.alert_texts import compose
from leadbridge.domain.alerts import (
    Finding,
    Incident,
    Lifecycle,
    QuietHours,
    Verdict,
    due_at,
    judge,
)
from leadbridge.store import alerts as store
from leadbridge.store.database import Database


def _now() -> datetime:
    return datetime.now(UTC)


class AlertEngine:
    def __init__(
        self,
        *,
        db: Database,
        settings: AlertSettings,
        source: ReadingsSource,
        channels: Sequence[Channel],
        dashboard_url: str | None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._db = db
        self._settings = settings
        self._source = source
        self._channels = list(channels)
        self._dashboard_url = dashboard_url or None
        self._clock = clock
        self._thresholds = thresholds_of(settings)
        self._life = Lifecycle(
            remind_every=timedelta(minutes=settings.remind_every_minutes),
            resolve_after=timedelta(minutes=settings.resolve_after_minutes),
        )
        self._zone = ZoneInfo(settings.time_zone)
        self._quiet = QuietHours.parse(settings.time_zone, settings.quiet_hours)

    async def aclose(self) -> None:
        for channel in self._channels:
            await channel.aclose()

    async def run_once(self) -> int:
        """One pass; returns how many incidents changed and messages went out."""
        now = self._clock()
        findings = evaluate(await self._source.read(now), self._thresholds)
        async with self._db.transaction() as session:
            incidents = await store.open_incidents(session)
            changed = 0
            for finding in findings:
                verdict = judge(incidents.get(finding.rule), finding, now, self._life)
                changed += await self._apply(session, verdict, finding, incidents, now)
        return changed + await deliver_due(self._db, self._channels, now)

    async def _apply(
        self,
        session: AsyncSession,
        verdict: Verdict,
        finding: Finding,
        incidents: dict[str, Incident],
        now: datetime,
    ) -> int:
        rule = RULES[finding.rule]
        incident = incidents.get(finding.rule)
        if verdict is Verdict.OPEN:
            opened = await store.open_incident(session, finding, rule.severity, now)
            if opened is not None:
                await self._queue(session, rule, opened, Moment.OPENED, now)
            return 1
        if incident is None:
            return 0
        if verdict in (Verdict.KEEP, Verdict.REMIND):
            reminded = verdict is Verdict.REMIND
            await store.still_firing(session, incident.id, finding, now, reminded=reminded)
            if reminded:
                current = _with(incident, finding)
                await self._queue(session, rule, current, Moment.REMINDER, now)
            return int(reminded)
        if verdict is Verdict.RESOLVE:
            # An incident nobody was told of (quiet hours, every channel failing) ends quietly.
            told = await store.was_told(session, incident.id)
            await store.drop_untold(session, incident.id)
            await store.resolve(session, incident.id, now)
            if told:
                await self._queue(session, rule, incident, Moment.RESOLVED, now)
            return 1
        return 0

    async def _queue(
        self, session: AsyncSession, rule: Rule, incident: Incident, moment: Moment, now: datetime
    ) -> None:
        message = compose(
            rule, incident, moment, now, zone=self._zone, dashboard_url=self._dashboard_url
        )
        when = now if moment is Moment.RESOLVED else due_at(rule.severity, now, self._quiet)
        rows: list[dict[str, object]] = [
            {
                "incident_id": incident.id,
                "moment": moment.value,
                "channel": channel.name,
                "subject": message.subject,
                "text": message.text,
                "link": message.link,
                "created_at": now,
                "due_at": when,
            }
            for channel in self._channels
            if rule.severity in channel.severities
        ]
        await store.queue(session, rows)


def _with(incident: Incident, finding: Finding) -> Incident:
    """The incident as the reminder describes it: with the latest count and detail."""
    return replace(incident, count=finding.count, detail=finding.detail)
