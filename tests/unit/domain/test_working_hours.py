"""When a first-call task is due: the SLA counted in the team's working hours only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadbridge.domain.working_hours import AROUND_THE_CLOCK, DAY_NAMES, WorkingHours, due_after

MOSCOW = ZoneInfo("Europe/Moscow")
DAYTIME = WorkingHours.parse("Europe/Moscow", "09:00-20:00")
MINUTE = timedelta(minutes=1)


def moscow(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


def test_a_request_at_1955_is_due_at_0910_the_next_day() -> None:
    due = due_after(moscow(2026, 5, 4, 19, 55), 15 * MINUTE, DAYTIME)

    assert due == moscow(2026, 5, 5, 9, 10)


def test_inside_the_hours_the_sla_is_plain_minutes() -> None:
    assert due_after(moscow(2026, 5, 4, 12, 0), 15 * MINUTE, DAYTIME) == moscow(2026, 5, 4, 12, 15)


def test_at_night_the_clock_starts_in_the_morning() -> None:
    assert due_after(moscow(2026, 5, 4, 3, 0), 15 * MINUTE, DAYTIME) == moscow(2026, 5, 4, 9, 15)


def test_the_weekend_is_skipped_when_only_weekdays_work() -> None:
    weekdays = WorkingHours.parse("Europe/Moscow", "09:00-18:00", list(DAY_NAMES[:5]))
    friday_evening = moscow(2026, 5, 8, 17, 50)

    assert due_after(friday_evening, 15 * MINUTE, weekdays) == moscow(2026, 5, 11, 9, 5)


def test_the_end_of_a_shift_is_still_inside_it() -> None:
    assert due_after(moscow(2026, 5, 4, 19, 45), 15 * MINUTE, DAYTIME) == moscow(2026, 5, 4, 20, 0)


def test_yekaterinburg_counts_in_its_own_zone() -> None:
    hours = WorkingHours.parse("Asia/Yekaterinburg", "09:00-20:00")
    arrival = datetime(2026, 5, 4, 14, 55, tzinfo=UTC)  # 19:55 in Yekaterinburg (UTC+5)

    due = due_after(arrival, 15 * MINUTE, hours)

    assert due == datetime(2026, 5, 5, 4, 10, tzinfo=UTC)  # 09:10 there


def test_a_clock_change_night_is_counted_as_it_lasts() -> None:
    berlin = WorkingHours.parse("Europe/Berlin", "00:00-24:00")
    before_the_change = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)

    assert due_after(before_the_change, 60 * MINUTE, berlin) == before_the_change + 60 * MINUTE


def test_around_the_clock_is_plain_minutes() -> None:
    arrival = datetime(2026, 5, 4, 23, 58, tzinfo=UTC)

    assert due_after(arrival, 15 * MINUTE, AROUND_THE_CLOCK) == arrival + 15 * MINUTE


@pytest.mark.parametrize(
    ("zone", "hours", "days"),
    [
        ("Mars/Olympus", "09:00-20:00", None),
        ("Europe/Moscow", "22:00-06:00", None),
        ("Europe/Moscow", "9-20", None),
        ("Europe/Moscow", "09:00-24:30", None),
        ("Europe/Moscow", "09:00-20:00", ["monday"]),
        ("Europe/Moscow", "09:00-20:00", []),
    ],
)
def test_unreadable_hours_are_refused(zone: str, hours: str, days: list[str] | None) -> None:
    with pytest.raises(ValueError, match=r"zone|hours|HH:MM|time of day|days"):
        WorkingHours.parse(zone, hours, days)


def worked(start: datetime, end: datetime, hours: WorkingHours) -> timedelta:
    """Working time in [start, end], summed day by day (independent of `due_after`'s walk)."""
    total = timedelta()
    day = start.astimezone(hours.zone).date() - timedelta(days=1)
    while day <= end.astimezone(hours.zone).date():
        if day.weekday() in hours.days:
            midnight = datetime(day.year, day.month, day.day, tzinfo=hours.zone)
            shift_start = (midnight + timedelta(minutes=hours.start_minute)).astimezone(UTC)
            shift_end = (midnight + timedelta(minutes=hours.end_minute)).astimezone(UTC)
            total += max(timedelta(), min(end, shift_end) - max(start, shift_start))
        day += timedelta(days=1)
    return total


def inside(moment: datetime, hours: WorkingHours) -> bool:
    """The instant just before `moment` is working time: `moment` ends a stretch of work."""
    tick = timedelta(microseconds=1)
    return worked(moment - tick, moment, hours) == tick


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    zone = draw(st.sampled_from(["Europe/Moscow", "Asia/Yekaterinburg", "Europe/Berlin", "UTC"]))
    start = draw(st.integers(0, 23 * 60))
    end = draw(st.integers(start + 1, 24 * 60))
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    return WorkingHours(ZoneInfo(zone), start, end, frozenset(days))


@given(
    hours=working_hours(),
    arrival=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
    ),
    sla_minutes=st.integers(1, 3 * 24 * 60),
)
def test_due_is_inside_working_hours_and_exactly_the_sla_of_work_later(
    hours: WorkingHours, arrival: datetime, sla_minutes: int
) -> None:
    sla = timedelta(minutes=sla_minutes)

    due = due_after(arrival, sla, hours)

    assert inside(due, hours)
    assert worked(arrival, due, hours) == sla  # at least the SLA, and not a minute more
