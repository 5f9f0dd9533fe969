"""Injected misbehaviour: gateway errors, latency, 429 bursts, unreliable webhooks.

Everything is off by default. Decisions come from one `random.Random(seed)`, so a run with the
same seed and the same request order misbehaves the same way. Injected 5xx and 429 answers are
given *before* the request reaches the account, so nothing was written: the client may send the
same write again without creating a duplicate.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from typing import Any

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})

GATEWAY_TIMEOUT = (
    "<html><head><title>504 Gateway Time-out</title></head><body><center>"
    "<h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>"
)
BAD_GATEWAY = (
    "<html><head><title>502 Bad Gateway</title></head><body><center>"
    "<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


@dataclass
class FaultProfile:
    seed: int = 0
    write_5xx_probability: float = 0.0  # a 502 on a write
    write_504_probability: float = 0.0  # a 504 on a write
    complex_504_above: int | None = None  # a `/leads/complex` batch larger than this → 504
    latency_min_s: float = 0.0
    latency_max_s: float = 0.0
    burst_429_probability: float = 0.0  # chance that a request starts a burst of 429s
    burst_429_length: int = 3  # how many requests in a row (this one included) get 429
    webhook_drop_probability: float = 0.0
    webhook_duplicate_probability: float = 0.0
    webhook_reorder_probability: float = 0.0
    webhook_reorder_delay_s: float = 0.2  # a reordered delivery waits this long first

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> FaultProfile:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in body.items() if key in known})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    def __init__(self, profile: FaultProfile | None = None) -> None:
        self.configure(profile or FaultProfile())

    def configure(self, profile: FaultProfile) -> None:
        self.profile = profile
        self._rng = random.Random(profile.seed)
        self._burst_left = 0
        self.injected: dict[str, int] = {"429": 0, "502": 0, "504": 0, "webhook_dropped": 0}
        self.injected.update(webhook_duplicated=0, webhook_reordered=0)

    def latency_s(self) -> float:
        low, high = self.profile.latency_min_s, self.profile.latency_max_s
        return self._rng.uniform(low, max(low, high)) if high > 0 else 0.0

    def burst_429(self) -> bool:
        """A burst answers the next `burst_429_length` requests with 429, whoever sends them."""
        if self._burst_left == 0 and self._chance(self.profile.burst_429_probability):
            self._burst_left = max(self.profile.burst_429_length, 1)
        if self._burst_left == 0:
            return False
        self._burst_left -= 1
        self.injected["429"] += 1
        return True

    def write_error(self, method: str) -> int | None:
        """The status of an injected gateway error for this request, or None."""
        if method not in WRITE_METHODS:
            return None
        if self._chance(self.profile.write_504_probability):
            self.injected["504"] += 1
            return 504
        if self._chance(self.profile.write_5xx_probability):
            self.injected["502"] += 1
            return 502
        return None

    def complex_times_out(self, batch_size: int) -> bool:
        limit = self.profile.complex_504_above
        if limit is None or batch_size <= limit:
            return False
        self.injected["504"] += 1
        return True

    def webhook_copies(self) -> int:
        """0 (dropped), 1, or 2 (duplicated) deliveries of one webhook."""
        if self._chance(self.profile.webhook_drop_probability):
            self.injected["webhook_dropped"] += 1
            return 0
        if self._chance(self.profile.webhook_duplicate_probability):
            self.injected["webhook_duplicated"] += 1
            return 2
        return 1

    def webhook_delay_s(self) -> float:
        """A delay that lets later deliveries overtake this one."""
        if self._chance(self.profile.webhook_reorder_probability):
            self.injected["webhook_reordered"] += 1
            return self.profile.webhook_reorder_delay_s
        return 0.0

    def _chance(self, probability: float) -> bool:
        # Draw even when the probability is 0, so one knob does not shift another's sequence.
        return self._rng.random() < probability
