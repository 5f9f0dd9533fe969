"""Fault injection on the partner API: 5xx, added latency, 429 bursts, token expiry, lost answers.

Every decision is drawn from generators seeded by the sandbox's seed, a fixed number of draws
per request, so the same seed and the same order of requests give the same faults.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SERVER_ERRORS = (500, 502, 503)


@dataclass
class FaultProfile:
    """All off by default. Probabilities are per partner API request; admin endpoints are spared."""

    error_rate: float = 0.0  # answer 5xx instead of serving the request
    latency_s: float = 0.0  # added to every request
    latency_jitter_s: float = 0.0  # plus a uniform random share of this
    burst_429_probability: float = 0.0  # a request starts a burst of 429 answers
    burst_429_length: int = 3  # requests answered 429 in a burst, the first one included
    apply_lost_answer_rate: float = 0.0  # status apply is done, but its answer is a 502
    webhook_reorder_probability: float = 0.0  # an event is held back behind the next one
    webhook_reorder_hold_s: float = 1.0  # a held event goes out alone after this long
    expire_tokens_at_request: int | None = None  # the Nth request expires every token first

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Fault:
    delay_s: float = 0.0
    status: int | None = None
    message: str = ""


@dataclass
class FaultCounters:
    requests: int = 0
    server_errors: int = 0
    injected_429: int = 0
    bursts: int = 0
    delayed: int = 0
    lost_answers: int = 0
    token_expiries: int = 0


class FaultInjector:
    """Decides, request by request, what goes wrong. Reads the profile on every request, so
    the admin endpoint can change it while the sandbox runs."""

    def __init__(
        self,
        profile: Callable[[], FaultProfile],
        *,
        expire_tokens: Callable[[], None],
        seed: int = 0,
    ) -> None:
        self.profile = profile
        self.expire_tokens = expire_tokens
        self.counters = FaultCounters()
        self._burst_left = 0
        self._rng = random.Random(f"{seed}:faults")
        self._answer_rng = random.Random(f"{seed}:lost-answers")

    def next(self) -> Fault:
        profile = self.profile()
        self.counters.requests += 1
        if self.counters.requests == profile.expire_tokens_at_request:
            self.counters.token_expiries += 1
            self.expire_tokens()
        error_draw, burst_draw, jitter_draw, code_draw = (self._rng.random() for _ in range(4))
        delay = profile.latency_s + jitter_draw * profile.latency_jitter_s
        self.counters.delayed += delay > 0
        if self._in_burst(profile, burst_draw):
            self.counters.injected_429 += 1
            return Fault(delay, 429, "Too many requests")
        if error_draw < profile.error_rate:
            self.counters.server_errors += 1
            status = SERVER_ERRORS[int(code_draw * len(SERVER_ERRORS))]
            return Fault(delay, status, "Service temporarily unavailable")
        return Fault(delay)

    def _in_burst(self, profile: FaultProfile, draw: float) -> bool:
        if self._burst_left > 0:
            self._burst_left -= 1
            return True
        if draw < profile.burst_429_probability:
            self.counters.bursts += 1
            self._burst_left = max(profile.burst_429_length - 1, 0)
            return True
        return False

    def lose_answer(self) -> bool:
        """After a status apply was done: should its answer be lost as a 502?"""
        lost = self._answer_rng.random() < self.profile().apply_lost_answer_rate
        self.counters.lost_answers += lost
        return lost

    def to_json(self) -> dict[str, int]:
        return dataclasses.asdict(self.counters)
