"""The words of an alert: Russian, what happened, since when, how many, and where to look."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadbridge.domain.alert_message import Moment
from leadbridge.domain.alert_rules import RULES
from leadbridge.domain.alert_texts import compose, duration
from leadbridge.domain.alerts import Incident

OPENED = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
MOSCOW = ZoneInfo("Europe/Moscow")
INCIDENT = Incident(
    id=7,
    rule="parked_statuses",
    severity="critical",
    opened_at=OPENED,
    cause_since=OPENED,
    last_firing_at=OPENED,
    reminded_at=None,
    resolved_at=None,
    count=3,
    detail="3 статусов остановлено; самый старый — дольше 15 мин",
)


def test_an_opening_message_says_what_since_when_how_many_and_where() -> None:
    now = OPENED + timedelta(minutes=2)
    message = compose(
        RULES["parked_statuses"], INCIDENT, Moment.OPENED, now,
        zone=MOSCOW, dashboard_url="https://bridge.example.ru/",
    )  # fmt: skip
    assert message.subject == "🔴 Авария: Статусы для Авито остановлены"
    assert "3 статусов остановлено" in message.text
    assert "С 01.12.2026 12:05 MSK (уже 2 мин)." in message.text
    assert message.link == "https://bridge.example.ru/outbox"
    assert message.text.endswith("Подробнее: https://bridge.example.ru/outbox")


def test_a_resolution_says_how_long_it_lasted_and_no_link_without_a_public_url() -> None:
    now = OPENED + timedelta(hours=2, minutes=5)
    message = compose(
        RULES["parked_statuses"], INCIDENT, Moment.RESOLVED, now, zone=MOSCOW, dashboard_url=None
    )
    assert message.subject.startswith("✅ Решено")
    assert "Длилось 2 ч 5 мин." in message.text
    assert message.link is None
    assert "Подробнее" not in message.text


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(seconds=20), "меньше минуты"),
        (timedelta(minutes=45), "45 мин"),
        (timedelta(hours=2), "2 ч"),
        (timedelta(days=3, hours=4, minutes=10), "3 дн 4 ч"),
        (timedelta(days=1), "1 дн"),
    ],
)
def test_durations_read_as_a_person_says_them(span: timedelta, words: str) -> None:
    assert duration(span) == words
