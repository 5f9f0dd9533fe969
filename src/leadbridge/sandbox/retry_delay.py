"""The knob both simulators share: how fast their webhook dispatcher retries.

Tests and the demo shorten the real retry schedule (0.01: a hundredth of each wait) on the
sandbox object they hold; the schedule itself belongs to the dispatcher, so the sandbox passes
the knob through instead of keeping a copy that could disagree with it.
"""

from __future__ import annotations

from typing import Protocol


class RetryingDispatcher(Protocol):
    retry_delay_scale: float


class RetryDelayKnob:
    """Mixin for a sandbox with a `webhooks` dispatcher: its `retry_delay_scale`, read and set."""

    webhooks: RetryingDispatcher

    @property
    def retry_delay_scale(self) -> float:
        return self.webhooks.retry_delay_scale

    @retry_delay_scale.setter
    def retry_delay_scale(self, value: float) -> None:
        self.webhooks.retry_delay_scale = value
