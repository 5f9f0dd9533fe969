"""The one retry policy: which answers pass, and waits that double with equal jitter."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from leadbridge.domain.retry import Backoff, is_transient


def test_too_many_requests_and_server_errors_pass_and_nothing_else_does() -> None:
    assert [status for status in (200, 400, 401, 403, 404, 409, 422) if is_transient(status)] == []
    assert all(is_transient(status) for status in (429, 500, 502, 503, 504))


@given(attempt=st.integers(min_value=1, max_value=60), seed=st.integers())
def test_a_wait_is_between_half_and_all_of_its_step(attempt: int, seed: int) -> None:
    backoff = Backoff(base_s=1.0, max_s=300.0)
    step = min(300.0, 2.0 ** (attempt - 1))
    assert step / 2 <= backoff.delay(attempt, random.Random(seed)) <= step


def test_the_step_doubles_up_to_its_ceiling() -> None:
    backoff, rng = Backoff(base_s=0.5, max_s=10.0), random.Random(3)
    ceilings = [max(backoff.delay(n, rng) for _ in range(200)) for n in range(1, 8)]
    assert [round(ceiling) for ceiling in ceilings[:4]] == [0, 1, 2, 4]
    assert all(5.0 <= ceiling <= 10.0 for ceiling in ceilings[5:])
