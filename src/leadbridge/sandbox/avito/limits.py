"""Per-method request limits in fixed one-second windows, and what they tell the client."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from leadbridge.sandbox.avito.config import AvitoSandboxConfig


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int | None
    remaining: int | None
    show_headers: bool

    def headers(self) -> list[tuple[bytes, bytes]]:
        if self.limit is None or self.remaining is None or not self.show_headers:
            return []
        return [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
        ]


@dataclass
class _Window:
    index: int
    accepted: int = 0
    seen: int = 0


class RateLimiter:
    """Counts every request of a method; answers 429 past `method_rps` in the current second.

    Reads the limits from the config on every request, so they can be changed while running.
    `max_rps_observed` is the most requests of a method seen in one window, rejected included.
    """

    def __init__(
        self, config: AvitoSandboxConfig, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._config = config
        self._clock = clock
        self._rng = random.Random(f"{config.seed}:rate-headers")
        self._windows: dict[str, _Window] = {}
        self.requests: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()
        self.max_rps_observed: Counter[str] = Counter()

    def hit(self, method: str) -> Decision:
        self.requests[method] += 1
        window = self._window(method)
        window.seen += 1
        self.max_rps_observed[method] = max(self.max_rps_observed[method], window.seen)
        limit = self._config.method_rps.get(method)
        if limit is None:
            return Decision(allowed=True, limit=None, remaining=None, show_headers=False)
        allowed = window.accepted < limit
        if allowed:
            window.accepted += 1
        else:
            self.rate_limited[method] += 1
        return Decision(allowed, limit, max(limit - window.accepted, 0), self._show_headers())

    def _window(self, method: str) -> _Window:
        index = math.floor(self._clock())
        window = self._windows.get(method)
        if window is None or window.index != index:
            window = self._windows[method] = _Window(index)
        return window

    def _show_headers(self) -> bool:
        return self._rng.random() >= self._config.rate_headers_absent_probability

    def to_json(self) -> dict[str, dict[str, int]]:
        return {
            "requests": dict(self.requests),
            "rate_limited": dict(self.rate_limited),
            "max_rps_observed": dict(self.max_rps_observed),
        }
