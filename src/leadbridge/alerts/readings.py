"""Gathering what the rules read: our records (one short read transaction), the engine's look
at amoCRM, Avito's recent answers and the learned request rate."""

from __future__ import annotations

from datetime import datetime, timedelta

from leadbridge.alerts.amocrm_watch import AmoCrmWatch
from leadbridge.alerts.avito_answers import AvitoAnswerWindow
from leadbridge.config.alerts import AlertSettings
from leadbridge.domain.alert_rules import AmoCrmReading, Readings, Silence, Thresholds
from leadbridge.domain.request_silence import past_windows, unusual_pause
from leadbridge.domain.working_hours import WorkingHours
from leadbridge.store import alert_readings
from leadbridge.store.database import Database


def thresholds_of(settings: AlertSettings) -> Thresholds:
    limits = settings.thresholds
    return Thresholds(
        parked=timedelta(minutes=limits.parked_minutes),
        pending=timedelta(minutes=limits.pending_minutes),
        inbox_lag=timedelta(minutes=limits.inbox_lag_minutes),
        avito_error_share=limits.avito_error_share,
        avito_error_min_requests=limits.avito_error_min_requests,
        token_expiry=timedelta(days=limits.token_expiry_days),
        reconcile_drift=limits.reconcile_drift,
        quarantined_events=limits.quarantined_events,
    )


class ReadingsSource:
    def __init__(self, db: Database, settings: AlertSettings, amocrm: AmoCrmWatch | None) -> None:
        self._db = db
        self._settings = settings
        self._amocrm = amocrm
        self._answers = AvitoAnswerWindow()
        self._hours = WorkingHours.parse(settings.time_zone, settings.working_hours)

    async def read(self, now: datetime) -> Readings:
        limits = self._settings.thresholds
        async with self._db.transaction() as session:
            parked = await alert_readings.parked(session)
            pending = await alert_readings.pending(session)
            inbox = await alert_readings.inbox(session)
            quarantined = await alert_readings.quarantined(session, "avito")
            reconciliation = await alert_readings.last_reconciliation(session)
            settlement = await alert_readings.last_settlement_check(session)
            first, last = await alert_readings.request_span(session)
            unusual = None
            if first is not None:
                windows = past_windows(now, limits.silent_weeks, first)
                seen = await alert_readings.requests_between(session, windows)
                floor = timedelta(minutes=limits.silent_floor_minutes)
                unusual = unusual_pause(now, seen, windows, self._hours, floor)
        amocrm = await self._amocrm.reading(now) if self._amocrm else None
        return Readings(
            now=now,
            amocrm=amocrm or AmoCrmReading(),
            parked=parked,
            pending=pending,
            inbox=inbox,
            quarantined=quarantined,
            avito_answers=self._answers.counts(now),
            reconciliation=reconciliation,
            settlement=settlement,
            silence=Silence(last, unusual),
        )
