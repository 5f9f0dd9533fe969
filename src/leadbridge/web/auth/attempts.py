"""Failed logins per user name and per address, in a sliding minute.

Kept in the process: a restart forgets them, which costs an attacker a restart per few guesses.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0


class LoginAttempts:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = per_minute
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def blocked(self, *keys: str) -> bool:
        now = self._clock()
        return any(len(self._recent(key, now)) >= self._limit for key in keys)

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and now - failures[0] >= WINDOW_S:
            failures.popleft()
        if not failures:
            # Forget idle keys so that random names do not grow the map without bound.
            del self._failures[key]
        return failures

    def __len__(self) -> int:
        return len(self._failures)
