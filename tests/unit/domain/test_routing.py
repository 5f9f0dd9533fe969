"""Whose turn it is: the team of a city, round robin and least-open."""

from __future__ import annotations

import pytest

from leadbridge.domain.routing import Routing, Team, next_turn

MOSCOW = Team("Москва", frozenset({"москва", "зеленоград"}), (1, 2, 3))
KAZAN = Team("Казань", frozenset({"казань"}), (7, 8), strategy="least_open")
ROUTING = Routing((MOSCOW, KAZAN), fallback_user_id=99)


def test_cities_are_matched_case_insensitively() -> None:
    assert ROUTING.team_for("МОСКВА ") is MOSCOW
    assert ROUTING.team_for("Казань") is KAZAN
    assert ROUTING.team_for("Тверь") is None
    assert ROUTING.team_for(None) is None


def test_round_robin_goes_round_from_the_kept_position() -> None:
    given, position = [], 4
    for _ in range(4):
        turn = next_turn(MOSCOW, position)
        given.append(turn.user_id)
        position = turn.next_position

    assert given == [2, 3, 1, 2]
    assert position == 8


def test_least_open_takes_the_idlest_user() -> None:
    assert next_turn(KAZAN, 0, {7: 3, 8: 1}).user_id == 8


def test_least_open_rotates_among_equal_loads() -> None:
    first = next_turn(KAZAN, 0, {7: 1, 8: 1})
    second = next_turn(KAZAN, first.next_position, {7: 2, 8: 2})

    assert [first.user_id, second.user_id] == [7, 8]


def test_a_city_in_two_teams_is_refused() -> None:
    with pytest.raises(ValueError, match="москва"):
        Routing((MOSCOW, Team("Ещё", frozenset({"москва"}), (5,))), fallback_user_id=99)


def test_a_team_without_users_is_refused() -> None:
    with pytest.raises(ValueError, match="no users"):
        Team("Пусто", frozenset({"тверь"}), ())


def test_every_routed_user_is_listed_for_the_check() -> None:
    assert ROUTING.user_ids() == {1, 2, 3, 7, 8, 99}
