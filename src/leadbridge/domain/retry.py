"""One retry policy for every client and loop: what is worth trying again, and how long to wait.

A partner's 429 (too many requests) and 5xx (its own trouble) pass; any other refusal will not,
and is not retried. Waits grow exponentially with equal jitter — uniform between half and all of
the step — so that retrying workers do not march in step, and none retries sooner than half the
step a partner that asked us to slow down deserves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TOO_MANY_REQUESTS = 429


def is_transient(status: int) -> bool:
    """Whether an HTTP answer with `status` may succeed if sent again later."""
    return status == TOO_MANY_REQUESTS or status >= 500


@dataclass(frozen=True, slots=True)
class Backoff:
    base_s: float
    max_s: float

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds before retry number `attempt` (1-based): uniform in [step/2, step], where the
        step doubles from `base_s` up to `max_s`."""
        step = min(self.max_s, self.base_s * 2 ** max(attempt - 1, 0))
        return rng.uniform(step / 2, step)
