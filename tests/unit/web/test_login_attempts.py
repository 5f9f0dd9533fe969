"""The per-user part of the login budget: beyond it attempts are slowed down, never refused."""

from __future__ import annotations

from leadbridge.web.auth.attempts import MAX_DELAY_S, LoginThrottle


def test_attempts_within_the_user_budget_are_not_delayed() -> None:
    throttle = LoginThrottle(per_address=5, per_user=20)
    assert [throttle.judge_user(n).delay_s for n in (1, 19, 20)] == [0.0, 0.0, 0.0]


def test_beyond_it_each_attempt_waits_a_second_longer_up_to_the_ceiling() -> None:
    throttle = LoginThrottle(per_address=5, per_user=20)
    delays = [throttle.judge_user(n).delay_s for n in (21, 22, 25, 1000)]
    assert delays == [1.0, 2.0, 5.0, MAX_DELAY_S]


def test_a_user_name_is_never_refused_however_many_attempts() -> None:
    throttle = LoginThrottle(per_address=5, per_user=20)
    assert all(throttle.judge_user(n).admitted for n in (1, 21, 10_000))
