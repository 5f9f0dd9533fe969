from leadbridge.sandbox.avito import AvitoSandboxConfig
from leadbridge.sandbox.avito.limits import RateLimiter
from leadbridge.sandbox.avito.tokens import TokenCheck, TokenStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: FakeClock, **changes: object) -> RateLimiter:
    config = AvitoSandboxConfig(method_rps={"status_apply": 3}, **changes)  # type: ignore[arg-type]
    return RateLimiter(config, clock=clock)


def test_fixed_one_second_windows() -> None:
    clock = FakeClock()
    limits = limiter(clock)
    assert [limits.hit("status_apply").allowed for _ in range(5)] == [True] * 3 + [False] * 2
    clock.now += 0.99
    assert not limits.hit("status_apply").allowed
    clock.now += 0.01
    assert limits.hit("status_apply").allowed
    assert limits.requests["status_apply"] == 7
    assert limits.rate_limited["status_apply"] == 3
    assert limits.max_rps_observed["status_apply"] == 6


def test_remaining_counts_down_and_headers_name_the_limit() -> None:
    limits = limiter(FakeClock(), rate_headers_absent_probability=0.0)
    decisions = [limits.hit("status_apply") for _ in range(4)]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert dict(decisions[0].headers()) == {
        b"x-ratelimit-limit": b"3",
        b"x-ratelimit-remaining": b"2",
    }


def header_pattern(seed: int) -> list[bool]:
    clock = FakeClock()
    limits = limiter(clock, rate_headers_absent_probability=0.3, seed=seed)
    shown = []
    for _ in range(200):
        clock.now += 1
        shown.append(bool(limits.hit("status_apply").headers()))
    return shown


def test_headers_are_sometimes_absent_deterministically() -> None:
    shown = header_pattern(5)
    assert 0.55 < sum(shown) / len(shown) < 0.85
    assert header_pattern(5) == shown
    assert header_pattern(6) != shown


def test_methods_without_a_limit_are_counted_not_limited() -> None:
    limits = limiter(FakeClock())
    assert all(limits.hit("other").allowed for _ in range(50))
    assert limits.requests["other"] == 50
    assert limits.hit("other").headers() == []


def test_tokens_expire_and_unknown_tokens_are_unknown() -> None:
    clock = FakeClock()
    tokens = TokenStore(clock)
    token = tokens.issue(10)
    assert tokens.check(token) is TokenCheck.VALID
    assert tokens.check("nope") is TokenCheck.UNKNOWN
    assert tokens.check(None) is TokenCheck.UNKNOWN
    clock.now += 10
    assert tokens.check(token) is TokenCheck.EXPIRED
    fresh = tokens.issue(10)
    tokens.expire_all()
    assert tokens.check(fresh) is TokenCheck.EXPIRED
