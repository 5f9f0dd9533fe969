"""Avito's answers over the last ten minutes, as this process counted them.

The share of 5xx and 429 answers is what the rule watches, not their number. In a set-up of
several workers this process sees only its own part of the traffic, but the relay spreads the
sends over the workers, so its share is a fair sample of the whole.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from leadbridge import metrics
from leadbridge.domain.alert_rules import AnswerCounts

WINDOW = timedelta(minutes=10)


class AvitoAnswerWindow:
    def __init__(self) -> None:
        self._samples: deque[tuple[datetime, int, int]] = deque()

    def counts(self, now: datetime) -> AnswerCounts | None:
        """None until the window has a first sample to measure from."""
        total, errors = metrics.answers_of("avito")
        self._samples.append((now, total, errors))
        while len(self._samples) > 1 and now - self._samples[1][0] >= WINDOW:
            self._samples.popleft()
        if len(self._samples) < 2:
            return None
        _at, first_total, first_errors = self._samples[0]
        return AnswerCounts(total - first_total, errors - first_errors)
