"""Failed logins in a sliding minute, per key, forgotten when idle."""

from __future__ import annotations

from leadbridge.web.auth.attempts import LoginAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_is_blocked_at_the_limit_and_free_a_minute_later() -> None:
    clock = Clock()
    attempts = LoginAttempts(3, clock=clock)
    for _ in range(3):
        assert not attempts.blocked("user:olga")
        attempts.failed("user:olga", "ip:1")
    assert attempts.blocked("user:olga")
    assert attempts.blocked("user:other", "ip:1")
    assert not attempts.blocked("user:other", "ip:2")
    clock.now = 60.0
    assert not attempts.blocked("user:olga", "ip:1")


def test_idle_and_unknown_keys_take_no_memory() -> None:
    clock = Clock()
    attempts = LoginAttempts(3, clock=clock)
    for n in range(100):
        attempts.blocked(f"user:guess-{n}")
    attempts.failed("user:olga")
    assert len(attempts) == 1
    clock.now = 61.0
    attempts.blocked("user:olga")
    assert len(attempts) == 0
