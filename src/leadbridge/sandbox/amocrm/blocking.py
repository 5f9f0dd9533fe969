"""The account block amoCRM imposes after repeated rate-limit violations (reference §2.1).

While blocked, every `/api/v4` request of the account gets nginx's HTML 403. Real accounts are
unblocked by support; here the block simply ends after its duration.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

FORBIDDEN = (
    "<html><head><title>403 Forbidden</title></head><body><center>"
    "<h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>"
)


@dataclass
class BlockPolicy:
    violations: int = 10  # this many 429s ...
    window_s: float = 60.0  # ... within this window start a block
    duration_s: float = 15 * 60.0


class AccountBlock:
    def __init__(self, policy: BlockPolicy) -> None:
        self.policy = policy
        self.time_scale = 1.0  # tests shrink the block's duration (not the violation window)
        self.until = 0.0
        self.started_total = 0
        self.forbidden_total = 0
        self._violations: deque[float] = deque()

    def violation(self, now: float) -> None:
        """One 429 answered for a genuine rate-limit violation."""
        self._violations.append(now)
        while self._violations and now - self._violations[0] > self.policy.window_s:
            self._violations.popleft()
        if len(self._violations) >= self.policy.violations and not self.active(now):
            self.start(now)

    def start(self, now: float, seconds: float | None = None) -> float:
        duration = self.policy.duration_s * self.time_scale if seconds is None else seconds
        self.until = now + duration
        self.started_total += 1
        self._violations.clear()
        return self.until

    def lift(self) -> None:
        self.until = 0.0

    def active(self, now: float) -> bool:
        return now < self.until

    def refuse(self, now: float) -> bool:
        """True (and counted) when this request must get the 403."""
        if not self.active(now):
            return False
        self.forbidden_total += 1
        return True
