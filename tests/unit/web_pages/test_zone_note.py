"""Every page names its time zone once, the business's: the one the weeks are cut in."""

from __future__ import annotations

from datetime import UTC, datetime

from leadbridge.domain.periods import BUSINESS_TIME_ZONE, Week
from leadbridge.web.pages.common import LOCAL_TIME, local_time, templates, zone_note


def test_the_zone_is_named_in_russian_and_by_its_iana_name() -> None:
    assert zone_note() == "Время — московское (Europe/Moscow)"
    assert zone_note("Asia/Yekaterinburg") == "Время — по часовому поясу Asia/Yekaterinburg"


def test_times_and_weeks_use_the_same_zone() -> None:
    assert LOCAL_TIME is BUSINESS_TIME_ZONE
    monday = Week.of(datetime(2026, 5, 3, 21, 30, tzinfo=UTC))  # Monday 00:30 in Moscow
    assert local_time(monday.starts_at) == "04.05.2026 00:00:00"


def test_the_layout_says_it_in_its_footer() -> None:
    base = templates.env.loader.get_source(templates.env, "base.html")[0]  # type: ignore[union-attr]
    assert 'id="time-zone">{{ zone_note }}' in base
    assert templates.env.globals["zone_note"] == zone_note()
