from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadbridge.domain.periods import Week, WeekError
from leadbridge.sandbox.avito.settlement import Week as SimulatorWeek


def test_a_week_runs_monday_to_monday_in_moscow() -> None:
    week = Week.parse("2026-W48")
    assert week.monday == date(2026, 11, 23)
    assert week.starts_at == datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    assert week.ends_at == datetime(2026, 11, 29, 21, 0, tzinfo=UTC)
    assert week.name == "2026-W48"
    assert Week.parse("2027-W01").monday == date(2027, 1, 4)
    assert Week.parse("2026-W53").name == "2026-W53"  # 2026 has 53 ISO weeks


@pytest.mark.parametrize("name", ["2026-48", "2026-W", "W48", "2026-W54", "2025-W53", "x"])
def test_bad_week_names_are_refused(name: str) -> None:
    with pytest.raises(WeekError):
        Week.parse(name)


def test_the_last_complete_week_is_the_one_before_now() -> None:
    friday = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    assert Week.last_complete(friday).name == "2026-W47"
    sunday_late_utc = datetime(2026, 11, 29, 21, 0, tzinfo=UTC)  # Monday 00:00 in Moscow
    assert Week.last_complete(sunday_late_utc).name == "2026-W48"


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1)))
def test_a_moment_falls_in_the_same_week_as_in_avitos_simulator(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC)
    week = Week.of(moment)
    assert week.contains(moment)
    assert not week.previous().contains(moment)
    assert not week.next().contains(moment)
    assert SimulatorWeek.of(week.monday, week.next_monday).contains(moment)
    assert Week.parse(week.name) == week
