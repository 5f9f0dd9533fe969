"""The alert engine as the bridge runs it, built from the settings."""

from __future__ import annotations

from datetime import timedelta

from leadbridge.alerts.amocrm_watch import AmoCrmWatch
from leadbridge.alerts.engine import AlertEngine
from leadbridge.alerts.readings import ReadingsSource
from leadbridge.amocrm.api import AmoApi
from leadbridge.channels.build import channels_for
from leadbridge.config import Settings
from leadbridge.store.database import Database


def alert_engine(
    settings: Settings, db: Database, amo: AmoApi, amo_webhook_url: str | None
) -> AlertEngine:
    """The caller closes the engine's channels (`AlertEngine.aclose`)."""
    watch = AmoCrmWatch(
        amo,
        amo_webhook_url,
        settings.amocrm.long_lived_token.get_secret_value(),
        timedelta(seconds=settings.alerts.amocrm_check_s),
    )
    return AlertEngine(
        db=db,
        settings=settings.alerts,
        source=ReadingsSource(db, settings.alerts, watch),
        channels=channels_for(settings.alerts),
        dashboard_url=settings.web.public_url or None,
    )
