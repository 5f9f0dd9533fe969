"""Retry delays: exponential with full jitter, so retrying workers do not march in step."""

from __future__ import annotations

import random


def retry_delay(attempt: int, *, base_s: float, max_s: float, rng: random.Random) -> float:
    """Delay before retry number `attempt` (1-based): uniform in [ceiling/2, ceiling]."""
    ceiling = min(max_s, base_s * 2 ** max(attempt - 1, 0))
    return rng.uniform(ceiling / 2, ceiling)
