"""Speed of first contact: waits, breaches, nearest-rank percentiles and the groups they form."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.first_contact import (
    Contact,
    Speed,
    contact_stage_keys,
    lost_stage_keys,
    nearest_rank,
    per_manager,
    per_week,
    speed_of,
)
from leadbridge.domain.funnel import Funnel, FunnelError
from leadbridge.domain.periods import Week

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday of 2026-W48 in Moscow
SLA = timedelta(minutes=15)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def deal(
    contacted: float | None = None,
    *,
    closed: float | None = None,
    team: str | None = "Москва",
    manager: int | None = 1,
    created: datetime = T0,
) -> Contact:
    """A deal created at `created`, due 15 minutes later, contacted/closed after so many
    minutes."""
    return Contact(
        team,
        manager,
        created,
        created + SLA,
        None if contacted is None else created + minutes(contacted),
        None if closed is None else created + minutes(closed),
    )


def test_the_default_contact_stage_and_every_working_stage_after_it_count_as_contact() -> None:
    funnel = load_funnel(DEFAULT_FUNNEL)

    keys = contact_stage_keys(funnel)

    assert funnel.first_contact_stage == "contacted"
    assert keys[:3] == ("contacted", "negotiation", "price_agreed")
    assert "won" in keys
    assert {"new", "taken", "lost"}.isdisjoint(keys)
    assert lost_stage_keys(funnel) == ("lost",)


def _raw() -> dict[str, Any]:
    with DEFAULT_FUNNEL.open("rb") as handle:
        return tomllib.load(handle)


def test_the_contact_stage_is_a_funnel_setting() -> None:
    raw = _raw() | {"first_contact_stage": "negotiation"}
    assert contact_stage_keys(Funnel.from_mapping(raw))[0] == "negotiation"
    del raw["first_contact_stage"]  # a funnel file written before the setting
    assert Funnel.from_mapping(raw).first_contact_stage == "contacted"


@pytest.mark.parametrize("stage", ["called", "lost"])
def test_a_contact_stage_that_is_missing_or_lost_is_refused(stage: str) -> None:
    with pytest.raises(FunnelError, match="first_contact_stage"):
        Funnel.from_mapping(_raw() | {"first_contact_stage": stage})


def test_a_call_after_the_deadline_is_a_breach_and_one_at_it_is_not() -> None:
    later = T0 + timedelta(days=1)
    assert not deal(15).breached(later)
    assert deal(15.5).breached(later)
    assert deal(15.5).wait == minutes(15.5)


def test_a_deal_not_yet_called_is_a_breach_only_once_its_deadline_has_passed() -> None:
    waiting = deal(None)

    assert not waiting.breached(T0 + minutes(10))
    assert waiting.waiting(T0 + minutes(10))
    assert waiting.breached(T0 + minutes(16))
    assert not waiting.waiting(T0 + minutes(16))


def test_a_deal_closed_without_a_call_stops_the_clock_when_it_closed() -> None:
    late = T0 + timedelta(days=1)
    assert not deal(None, closed=5).breached(late)  # the seller cancelled within the SLA
    assert not deal(None, closed=5).waiting(late)
    assert deal(None, closed=40).breached(late)


def test_a_call_logged_before_the_request_was_created_waits_zero() -> None:
    assert deal(-2).wait == timedelta(0)


def test_nearest_rank_is_always_one_of_the_values() -> None:
    ten = list(range(1, 11))
    assert nearest_rank(ten, 50) == 5
    assert nearest_rank(ten, 90) == 9
    assert nearest_rank(ten, 100) == 10
    assert nearest_rank([7], 90) == 7
    assert nearest_rank([1, 2], 50) == 1
    with pytest.raises(ValueError, match="nearest rank"):
        nearest_rank([], 50)


def test_a_group_counts_every_deal_and_ranks_only_the_called_ones() -> None:
    now = T0 + minutes(90)
    group = [deal(4), deal(80), deal(10), deal(None), deal(None, created=T0 + minutes(85))]

    assert speed_of(group, now) == Speed(
        deals=5,
        contacted=3,
        waiting=1,  # the one created at 85 is due at 100
        breaches=2,  # called at 80, and the one still not called at 90
        p50=minutes(10),
        p90=minutes(80),
    )


def test_groups_are_per_moscow_week_team_and_manager() -> None:
    sunday_night = datetime(2026, 11, 29, 21, 30, tzinfo=UTC)  # Monday 00:30 in Moscow: W49
    contacts = [
        deal(5, manager=1),
        deal(30, manager=1),
        deal(5, manager=2),
        deal(5, team=None, manager=9),
        deal(5, created=sunday_night),
    ]
    now = sunday_night + timedelta(hours=1)

    rows = per_manager(contacts, now)

    assert [(r.week.name, r.team, r.manager, r.speed.deals) for r in rows] == [
        ("2026-W49", "Москва", 1, 1),
        ("2026-W48", "Москва", 1, 2),
        ("2026-W48", "Москва", 2, 1),
        ("2026-W48", None, 9, 1),
    ]
    assert rows[1].speed.breaches == 1
    weeks = per_week(contacts, now)
    assert [(w.week.name, w.speed.deals, w.speed.breaches) for w in weeks] == [
        ("2026-W48", 4, 1),
        ("2026-W49", 1, 0),
    ]


# ---- property: the groups and their numbers against a computation from the definitions ----

waits = st.one_of(st.none(), st.integers(min_value=0, max_value=3 * 24 * 60))
deals = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=20 * 24 * 60),  # created, minutes after T0
        waits,  # minutes to contact, or never
        waits,  # minutes to closing, or open
        st.sampled_from(["Москва", "Казань", None]),
        st.sampled_from([1, 2, None]),
        st.integers(min_value=1, max_value=120),  # SLA minutes
    ),
    max_size=40,
)


def _smallest_covering(values: list[timedelta], percent: int) -> timedelta:
    """The definition: the smallest value that at least `percent` % of values do not exceed."""
    return min(v for v in values if 100 * sum(x <= v for x in values) >= percent * len(values))


@given(deals, st.integers(min_value=0, max_value=25 * 24 * 60))
def test_every_group_matches_the_definitions(
    drawn: list[tuple[int, int | None, int | None, str | None, int | None, int]], at: int
) -> None:
    now = T0 + minutes(at)
    contacts = [
        Contact(
            team,
            manager,
            T0 + minutes(created),
            T0 + minutes(created + sla),
            None if contact is None else T0 + minutes(created + contact),
            None if close is None else T0 + minutes(created + close),
        )
        for created, contact, close, team, manager, sla in drawn
    ]

    rows = per_manager(contacts, now)

    assert sum(row.speed.deals for row in rows) == len(contacts)
    assert len({(r.week, r.team, r.manager) for r in rows}) == len(rows)
    for row in rows:
        members = [
            c
            for c in contacts
            if (Week.of(c.created_at), c.team, c.manager) == (row.week, row.team, row.manager)
        ]
        called = [c.contacted_at - c.created_at for c in members if c.contacted_at]
        overdue = [
            c for c in members if (c.contacted_at or min(c.closed_at or now, now)) > c.due_at
        ]
        assert row.speed.deals == len(members)
        assert row.speed.contacted == len(called)
        assert row.speed.breaches == len(overdue)
        if called:
            assert row.speed.p50 == _smallest_covering(called, 50)
            assert row.speed.p90 == _smallest_covering(called, 90)
        else:
            assert row.speed.p50 is None
            assert row.speed.p90 is None
        assert row.speed.waiting + row.speed.breaches <= row.speed.deals
