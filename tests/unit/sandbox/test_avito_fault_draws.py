from leadbridge.sandbox.avito.faults import FaultInjector, FaultProfile


def _injector(profile: FaultProfile, seed: int = 0) -> tuple[FaultInjector, list[int]]:
    expiries: list[int] = []
    injector = FaultInjector(
        lambda: profile,
        expire_tokens=lambda: expiries.append(injector.counters.requests),
        seed=seed,
    )
    return injector, expiries


def _statuses(injector: FaultInjector, count: int) -> list[int | None]:
    return [injector.next().status for _ in range(count)]


def test_off_by_default() -> None:
    injector, expiries = _injector(FaultProfile())
    assert _statuses(injector, 200) == [None] * 200
    assert not any(injector.lose_answer() for _ in range(50))
    assert expiries == []


def test_same_seed_same_faults_other_seed_other_faults() -> None:
    profile = FaultProfile(error_rate=0.2, burst_429_probability=0.05, latency_jitter_s=0.1)
    first, second, third = (_injector(profile, seed)[0] for seed in (7, 7, 8))
    assert _statuses(first, 300) == _statuses(second, 300) != _statuses(third, 300)


def test_error_rate_gives_server_errors() -> None:
    injector, _ = _injector(FaultProfile(error_rate=0.3), seed=1)
    statuses = _statuses(injector, 1000)
    assert set(statuses) == {None, 500, 502, 503}
    assert 250 < sum(status is not None for status in statuses) < 350


def test_a_burst_answers_429_for_its_whole_length() -> None:
    profile = FaultProfile(burst_429_probability=1.0, burst_429_length=4)
    injector, _ = _injector(profile)
    assert _statuses(injector, 8) == [429] * 8
    assert injector.counters.bursts == 2
    profile.burst_429_probability = 0.0
    assert _statuses(injector, 2) == [None, None]


def test_latency_is_added_with_jitter() -> None:
    injector, _ = _injector(FaultProfile(latency_s=0.2, latency_jitter_s=0.1))
    delays = [injector.next().delay_s for _ in range(50)]
    assert all(0.2 <= delay <= 0.3 for delay in delays)
    assert len(set(delays)) > 1


def test_tokens_expire_at_the_chosen_request() -> None:
    injector, expiries = _injector(FaultProfile(expire_tokens_at_request=5))
    _statuses(injector, 10)
    assert expiries == [5]
