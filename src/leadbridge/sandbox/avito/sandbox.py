"""The Avito partner sandbox: all of its state, in memory, behind one object."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from leadbridge.sandbox.avito.applying import ApplyRules, apply_items
from leadbridge.sandbox.avito.config import AvitoSandboxConfig
from leadbridge.sandbox.avito.evolution import (
    dictionary_for,
    evolve_answer,
    evolve_lead,
    item_fields,
    move_on_its_own,
)
from leadbridge.sandbox.avito.faults import FaultInjector
from leadbridge.sandbox.avito.leads import LeadFactory
from leadbridge.sandbox.avito.limits import RateLimiter
from leadbridge.sandbox.avito.settlement import Week, settlement_json, settlement_lines
from leadbridge.sandbox.avito.state import DuplicateLeadError, LeadBook, LeadRecord
from leadbridge.sandbox.avito.tokens import TokenStore
from leadbridge.sandbox.avito.transitions import StatusDictionary
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
        self.faults = FaultInjector(
            lambda: self.config.faults, expire_tokens=self.tokens.expire_all, seed=self.config.seed
        )
        self.webhooks = WebhookDispatcher(
            ack_timeout_s=self.config.webhook_ack_timeout_s,
            max_attempts=self.config.webhook_max_attempts,
            duplicate_probability=self.config.webhook_duplicate_probability,
            reorder_probability=self.config.faults.webhook_reorder_probability,
            reorder_hold_s=self.config.faults.webhook_reorder_hold_s,
            seed=self.config.seed,
        )

    @property
    def retry_delay_scale(self) -> float:
        return self.webhooks.retry_delay_scale

    @retry_delay_scale.setter
    def retry_delay_scale(self, value: float) -> None:
        self.webhooks.retry_delay_scale = value

    @property
    def statuses(self) -> StatusDictionary:
        """The status dictionary in force, with whatever the evolution switches add."""
        return dictionary_for(self.config.statuses, self.config.evolution)

    def set_evolution(self, **changes: Any) -> None:
        self.config.evolution = dataclasses.replace(self.config.evolution, **changes)

    def set_faults(
        self, *, webhook_duplicate_probability: float | None = None, **changes: Any
    ) -> None:
        """Change the fault profile while running; the webhook knobs reach the dispatcher too."""
        faults = self.config.faults = dataclasses.replace(self.config.faults, **changes)
        if webhook_duplicate_probability is not None:
            self.config.webhook_duplicate_probability = webhook_duplicate_probability
        self.webhooks.duplicate_probability = self.config.webhook_duplicate_probability
        self.webhooks.reorder_probability = faults.webhook_reorder_probability
        self.webhooks.reorder_hold_s = faults.webhook_reorder_hold_s

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
        return {**evolve_lead(generated, self.config.evolution), **lead}

    def lead(self, lead_id: str) -> LeadRecord | None:
        return self.book.get(lead_id)

    def apply_statuses(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        switches = self.config.evolution
        rules = ApplyRules(
            self.statuses,
            optional_fields=item_fields(switches),
            after_success=lambda record: move_on_its_own(record, switches),
        )
        return [evolve_answer(row, switches) for row in apply_items(self.book, rules, items)]

    def settlement(self, date_from: date, date_to: date) -> dict[str, Any]:
        """The week's settlement rows; PeriodError unless Monday to the next Monday."""
        week = Week.of(date_from, date_to)
        lines = settlement_lines(self.book, self.statuses, self.config.commission, week)
        return settlement_json(lines, week)

    def state_json(self) -> dict[str, Any]:
        return {
            **self.book.to_json(),
            "webhook": self.webhooks.to_json(),
            "tokens": self.tokens.to_json(),
            "evolution": self.config.evolution.to_json(),
            "faults": self.config.faults.to_json(),
            "stats": {
                **self.limiter.to_json(),
                "forbidden_total": self.book.forbidden_total,
                "already_applied_total": self.book.already_applied_total,
                "faults": self.faults.to_json(),
            },
        }

    async def aclose(self) -> None:
        await self.webhooks.aclose()


__all__ = ["AvitoSandbox", "DuplicateLeadError"]
