"""When a pause in Avito's requests is unusual: learned from the same hour of past weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadbridge.domain.request_silence import SILENCE_FACTOR, past_windows, unusual_pause
from leadbridge.domain.working_hours import WorkingHours

HOURS = WorkingHours.parse("Europe/Moscow", "09:00-21:00")
NOON = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 12:00 in Moscow, a Tuesday
FLOOR = timedelta(minutes=30)


def test_windows_are_the_last_hour_and_the_same_hour_of_past_weeks_since_history_began() -> None:
    long_ago = NOON - timedelta(weeks=10)
    windows = past_windows(NOON, 4, long_ago)
    assert windows[0] == (NOON - timedelta(hours=1), NOON)
    starts = [start for start, _ in windows[1:]]
    assert starts == [NOON - timedelta(weeks=w, minutes=30) for w in (1, 2, 3, 4)]
    assert len(past_windows(NOON, 4, NOON - timedelta(days=10))) == 2  # one past week only


def test_a_busy_hour_is_judged_by_its_gap_and_a_quiet_one_by_the_floor() -> None:
    windows = past_windows(NOON, 4, NOON - timedelta(weeks=10))  # five hours observed
    slow = unusual_pause(NOON, 5, windows, HOURS, FLOOR)  # one an hour: a 60-minute gap
    assert slow == timedelta(hours=SILENCE_FACTOR)
    busy = unusual_pause(NOON, 600, windows, HOURS, FLOOR)  # one every 30 s
    assert busy == FLOOR


def test_no_judgement_at_night_or_without_history() -> None:
    windows = past_windows(NOON, 4, NOON - timedelta(weeks=10))
    night = NOON.replace(hour=20)  # 23:00 in Moscow
    assert unusual_pause(night, 100, windows, HOURS, FLOOR) is None
    assert unusual_pause(NOON, 0, windows, HOURS, FLOOR) is None
