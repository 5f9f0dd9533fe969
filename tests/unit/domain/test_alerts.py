"""An incident's life: opened once, reminded on schedule, resolved only after a calm spell, and
quiet hours holding back warnings, never critical alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadbridge.domain.alerts import (
    Finding,
    Incident,
    Lifecycle,
    QuietHours,
    Verdict,
    due_at,
    judge,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LIFE = Lifecycle(remind_every=timedelta(hours=3), resolve_after=timedelta(minutes=5))
FIRING = Finding("parked_statuses", True, 3, "3 статуса")
CALM = Finding("parked_statuses", False)
MOSCOW = ZoneInfo("Europe/Moscow")


def incident(
    *, opened: datetime = T0, last_firing: datetime = T0, reminded: datetime | None = None
) -> Incident:
    return Incident(
        id=1,
        rule="parked_statuses",
        severity="critical",
        opened_at=opened,
        cause_since=opened,
        last_firing_at=last_firing,
        reminded_at=reminded,
        resolved_at=None,
        count=3,
        detail="",
    )


def test_a_first_sighting_opens_and_calm_without_an_incident_does_nothing() -> None:
    assert judge(None, FIRING, T0, LIFE) is Verdict.OPEN
    assert judge(None, CALM, T0, LIFE) is Verdict.NOTHING


def test_a_reminder_is_due_every_period_counted_from_the_last_one() -> None:
    open_one = incident()
    assert judge(open_one, FIRING, T0 + timedelta(hours=2, minutes=59), LIFE) is Verdict.KEEP
    assert judge(open_one, FIRING, T0 + timedelta(hours=3), LIFE) is Verdict.REMIND
    reminded = incident(reminded=T0 + timedelta(hours=3))
    assert judge(reminded, FIRING, T0 + timedelta(hours=5), LIFE) is Verdict.KEEP
    assert judge(reminded, FIRING, T0 + timedelta(hours=6), LIFE) is Verdict.REMIND


def test_it_resolves_only_after_the_cause_stayed_away_for_the_calm_spell() -> None:
    seen = T0 + timedelta(minutes=10)
    open_one = incident(last_firing=seen)
    assert judge(open_one, CALM, seen + timedelta(minutes=4), LIFE) is Verdict.NOTHING
    assert judge(open_one, CALM, seen + timedelta(minutes=5), LIFE) is Verdict.RESOLVE


@given(st.lists(st.booleans(), min_size=1, max_size=200))
def test_a_cause_flapping_faster_than_the_calm_spell_is_one_incident(flaps: list[bool]) -> None:
    """Checked every minute, the cause present or not at random but never absent for five
    minutes running: the incident opens once and never resolves."""
    flaps = [True, *flaps]
    current: Incident | None = None
    opened = 0
    calm_run = 0
    for minute, firing in enumerate(flaps):
        calm_run = 0 if firing else calm_run + 1
        if calm_run >= 5:
            return  # a real calm spell: resolving is right from here on
        now = T0 + timedelta(minutes=minute)
        verdict = judge(current, Finding("r", firing), now, LIFE)
        assert verdict is not Verdict.RESOLVE
        if verdict is Verdict.OPEN:
            opened += 1
            current = incident(opened=now, last_firing=now)
        elif firing and current is not None:
            current = incident(opened=current.opened_at, last_firing=now)
    assert opened == 1


def at_moscow(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=MOSCOW).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "released"),
    [
        (at_moscow(23, 30), at_moscow(8, 0, day=2)),  # before midnight: tomorrow's morning
        (at_moscow(3, 0), at_moscow(8, 0)),  # after midnight: this morning
        (at_moscow(8, 0), at_moscow(8, 0)),  # the end itself is not quiet
        (at_moscow(21, 59), at_moscow(21, 59)),
        (at_moscow(22, 0), at_moscow(8, 0, day=2)),
    ],
)
def test_quiet_hours_across_midnight_hold_warnings_until_morning(
    now: datetime, released: datetime
) -> None:
    quiet = QuietHours.parse("Europe/Moscow", "22:00-08:00")
    assert due_at("warning", now, quiet) == released
    assert due_at("critical", now, quiet) == now


def test_quiet_hours_within_a_day_and_none_at_all() -> None:
    quiet = QuietHours.parse("Europe/Moscow", "13:00-14:00")
    assert due_at("warning", at_moscow(13, 30), quiet) == at_moscow(14, 0)
    assert due_at("warning", at_moscow(12, 30), quiet) == at_moscow(12, 30)
    assert QuietHours.parse("Europe/Moscow", "") is None
    assert due_at("warning", at_moscow(3, 0), None) == at_moscow(3, 0)


@pytest.mark.parametrize("bad", ["22:00", "08:00-08:00", "25:00-08:00"])
def test_unreadable_quiet_hours_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        QuietHours.parse("Europe/Moscow", bad)
