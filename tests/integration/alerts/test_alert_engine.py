"""The alert engine on a real database, delivering through the Telegram simulator and the SMTP
sink over loopback: one message when an incident opens, reminders on schedule (a compressed
clock), one when it resolves; a flapping cause sends nothing more; a failing channel delays only
itself and shows on the channels' health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from tests.integration.store.test_store import _request

from leadbridge.alerts.engine import AlertEngine
from leadbridge.alerts.readings import ReadingsSource
from leadbridge.channels.build import channels_for
from leadbridge.config.alerts import AlertSettings
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.status_path import PlannedStatus
from leadbridge.sandbox.telegram.alert_sandbox import AlertSinks, alert_sandbox
from leadbridge.store import alerts as alert_store
from leadbridge.store import inbox, leads, operator_actions, outbox
from leadbridge.store.database import Database

pytestmark = pytest.mark.anyio
START = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def sinks() -> AsyncIterator[AlertSinks]:
    async with alert_sandbox() as running:
        yield running


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def settings_for(sinks: AlertSinks, **changes: Any) -> AlertSettings:
    return AlertSettings(
        telegram=sinks.telegram_settings(),
        email=sinks.email_settings(["duty@example.ru"]),
        **changes,
    )


def engine_for(db: Database, settings: AlertSettings, clock: Clock) -> AlertEngine:
    return AlertEngine(
        db=db,
        settings=settings,
        source=ReadingsSource(db, settings, None),
        channels=channels_for(settings),
        dashboard_url="https://bridge.example.ru",
        clock=clock,
    )


async def park_one_status(db: Database, key: str, at: datetime) -> int:
    async with db.transaction() as session:
        lead_id = await leads.add_if_new(session, _request(key), {}, at)
        assert lead_id is not None
        await outbox.enqueue(
            session,
            lead_id=lead_id,
            avito_lead_id=key,
            statuses=[PlannedStatus("accepted")],
            occurred_at=at,
            now=at,
        )
        (head,) = await outbox.claim_heads(session, limit=10, now=at)
        await outbox.finish(
            session, head.id, state=OutboxState.PARKED, error="forbidden", sent_at=None
        )
    return head.id


async def skip(db: Database, item_id: int, at: datetime) -> None:
    async with db.transaction() as session:
        await operator_actions.act(
            session, item_id=item_id, action="skip", actor="anna", note="done by hand", now=at
        )


async def telegram_texts(sinks: AlertSinks) -> list[str]:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{sinks.telegram_url}/sandbox/messages")
    return [message["text"] for message in answer.json()["messages"]]


async def mail_subjects(sinks: AlertSinks) -> list[str]:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{sinks.telegram_url}/sandbox/mail")
    return [mail["subject"] for mail in answer.json()["mail"]]


async def test_an_incident_opens_once_reminds_on_schedule_and_resolves_once(
    db: Database, sinks: AlertSinks
) -> None:
    clock = Clock()
    engine = engine_for(db, settings_for(sinks), clock)
    item = await park_one_status(db, "alert-1", START - timedelta(minutes=20))
    try:
        await engine.run_once()
        opened = await telegram_texts(sinks)
        assert len(opened) == 1
        assert opened[0].startswith("🔴 Авария: Статусы для Авито остановлены")
        assert "1 статусов остановлено" in opened[0]
        assert "Подробнее: https://bridge.example.ru/outbox" in opened[0]

        for minutes in (1, 60, 179):  # still parked: counted, not told again
            clock.now = START + timedelta(minutes=minutes)
            await engine.run_once()
        assert len(await telegram_texts(sinks)) == 1
        clock.now = START + timedelta(minutes=180)
        await engine.run_once()
        reminded = await telegram_texts(sinks)
        assert len(reminded) == 2
        assert reminded[1].startswith("⏰ Всё ещё авария")

        await skip(db, item, clock.now)
        clock.now += timedelta(minutes=4)  # calm, but not for long enough yet
        await engine.run_once()
        assert len(await telegram_texts(sinks)) == 2
        clock.now += timedelta(minutes=2)
        await engine.run_once()
        texts = await telegram_texts(sinks)
        assert len(texts) == 3
        assert texts[2].startswith("✅ Решено")
        assert await mail_subjects(sinks) == [
            "🔴 Авария: Статусы для Авито остановлены",
            "⏰ Всё ещё авария: Статусы для Авито остановлены",
            "✅ Решено: Статусы для Авито остановлены",
        ]
        async with db.transaction() as session:
            assert await alert_store.totals(session) == (1, 1, 6)  # 3 messages × 2 channels
    finally:
        await engine.aclose()


async def test_a_flapping_cause_stays_one_incident(db: Database, sinks: AlertSinks) -> None:
    clock = Clock()
    engine = engine_for(db, settings_for(sinks, resolve_after_minutes=5), clock)
    try:
        for round_ in range(4):  # parked, fixed two minutes later, parked again …
            clock.now = START + timedelta(minutes=4 * round_)
            item = await park_one_status(db, f"flap-{round_}", clock.now - timedelta(minutes=20))
            await engine.run_once()
            await skip(db, item, clock.now)
            clock.now += timedelta(minutes=2)
            await engine.run_once()
        assert len(await telegram_texts(sinks)) == 1
        clock.now += timedelta(minutes=10)
        await engine.run_once()
        assert [text.split(":")[0] for text in await telegram_texts(sinks)] == [
            "🔴 Авария",
            "✅ Решено",
        ]
    finally:
        await engine.aclose()


async def test_a_failing_channel_delays_only_itself_and_is_shown(
    db: Database, sinks: AlertSinks
) -> None:
    clock = Clock()
    settings = settings_for(sinks)
    settings.telegram.bot_token = SecretStr("123:wrong")
    engine = engine_for(db, settings, clock)
    await park_one_status(db, "alert-2", START - timedelta(minutes=20))
    try:
        await engine.run_once()
        assert await telegram_texts(sinks) == []
        assert await mail_subjects(sinks) == ["🔴 Авария: Статусы для Авито остановлены"]
        async with db.transaction() as session:
            health = {entry.channel: entry for entry in await alert_store.channel_health(session)}
        assert health["telegram"].failing_since == START
        assert health["telegram"].waiting == 1
        assert "123:wrong" not in (health["telegram"].last_error or "")
        assert health["email"].failing_since is None
        assert health["email"].last_sent_at == START
    finally:
        await engine.aclose()


async def test_warnings_wait_for_the_end_of_quiet_hours_and_a_night_incident_is_never_told(
    db: Database, sinks: AlertSinks
) -> None:
    """The inbox backlog is a warning: at night it is held; resolved before morning, nothing
    is sent at all."""
    clock = Clock()
    quiet = f"{START - timedelta(hours=1):%H:%M}-{START + timedelta(hours=2):%H:%M}"
    engine = engine_for(db, settings_for(sinks, quiet_hours=quiet, time_zone="UTC"), clock)
    received = START - timedelta(minutes=30)
    try:
        async with db.transaction() as session:
            event = await inbox.add_if_new(
                session, source="avito", event_key="q-1", channel="webhook", body="{}", now=received
            )
        assert event is not None
        await engine.run_once()
        assert await telegram_texts(sinks) == []
        async with db.transaction() as session:
            await inbox.mark_processed(session, event, clock.now)
        clock.now += timedelta(minutes=6)
        await engine.run_once()
        clock.now += timedelta(hours=3)  # morning: nothing left to tell
        await engine.run_once()
        assert await telegram_texts(sinks) == []
        async with db.transaction() as session:
            assert await alert_store.totals(session) == (1, 1, 0)
    finally:
        await engine.aclose()
