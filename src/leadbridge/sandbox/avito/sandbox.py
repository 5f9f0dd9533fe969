"""The Avito partner sandbox: all of its state, in memory, behind one object."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from leadbridge.sandbox.avito.applying import apply_items
from leadbridge.sandbox.avito.config import AvitoSandboxConfig
from leadbridge.sandbox.avito.leads import LeadFactory
from leadbridge.sandbox.avito.limits import RateLimiter
from leadbridge.sandbox.avito.state import DuplicateLeadError, LeadBook, LeadRecord
from leadbridge.sandbox.avito.tokens import TokenStore
from leadbridge.sandbox.avito.webhooks import WebhookDispatcher


class AvitoSandbox:
    def __init__(
        self,
        config: AvitoSandboxConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or AvitoSandboxConfig()
        self.factory = LeadFactory(self.config.seed)
        self.book = LeadBook()
        self.tokens = TokenStore(clock)
        self.limiter = RateLimiter(self.config, clock=clock)
        self.webhooks = WebhookDispatcher(
            ack_timeout_s=self.config.webhook_ack_timeout_s,
            max_attempts=self.config.webhook_max_attempts,
            duplicate_probability=self.config.webhook_duplicate_probability,
            seed=self.config.seed,
        )

    @property
    def retry_delay_scale(self) -> float:
        return self.webhooks.retry_delay_scale

    @retry_delay_scale.setter
    def retry_delay_scale(self, value: float) -> None:
        self.webhooks.retry_delay_scale = value

    def add_lead(self, lead: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Append a lead to the feed and push it to the webhook; returns its payload.

        Top-level fields missing from `lead` are taken from a generated one, so `None` or
        `{}` gives a complete generated lead. A duplicate id raises `DuplicateLeadError`.
        """
        record = self.book.add(self._payload(lead or {}))
        self.webhooks.publish(record.payload)
        return record.payload

    def _payload(self, lead: Mapping[str, Any]) -> dict[str, Any]:
        generated = self.factory.make()
        while "id" not in lead and generated["id"] in self.book.by_id:
            generated["id"] = self.factory.make()["id"]
        return {**generated, **lead}

    def lead(self, lead_id: str) -> LeadRecord | None:
        return self.book.get(lead_id)

    def apply_statuses(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return apply_items(self.book, self.config.statuses, items)

    def state_json(self) -> dict[str, Any]:
        return {
            **self.book.to_json(),
            "webhook": self.webhooks.to_json(),
            "tokens": self.tokens.to_json(),
            "stats": {
                **self.limiter.to_json(),
                "forbidden_total": self.book.forbidden_total,
                "already_applied_total": self.book.already_applied_total,
            },
        }

    async def aclose(self) -> None:
        await self.webhooks.aclose()


__all__ = ["AvitoSandbox", "DuplicateLeadError"]
