"""The Avito partner sandbox: all of its state, in memory, behind one object."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from leadbridge.sandbox.avito.applying import ApplyRules, apply_items
from leadbridge.sandbox.avito.breaking import (
    INTEGER_ID_BASE,
    StatusRename,
    all_breaking,
    break_lead,
    breaking_item_fields,
)
from leadbridge.sandbox.avito.config import AvitoSandboxConfig
from leadbridge.sandbox.avito.evolution import (
    EvolutionSwitches,
    dictionary_for,
    evolve_answer,
    evolve_lead,
    item_fields,
    move_on_its_own,
)
from leadbridge.sandbox.avito.faults import FaultInjector
from leadbridge.sandbox.avito.leads import LeadFactory
from leadbridge.sandbox.avito.limits import RateLimiter
from leadbridge.sandbox.avito.reasons import Reason, codes_by_status, reasons_named
from leadbridge.sandbox.avito.seller_changes import SellerDesk
from leadbridge.sandbox.avito.settlement import Week, settlement_json, settlement_lines
from leadbridge.sandbox.avito.state import DuplicateLeadError, LeadBook, LeadRecord
from leadbridge.sandbox.avito.tokens import TokenStore
from leadbridge.sandbox.avito.transitions import StatusDictionary
from leadbridge.sandbox.avito.webhooks import WebhookDispatcher
from leadbridge.sandbox.retry_delay import RetryDelayKnob


class AvitoSandbox(RetryDelayKnob):
    webhooks: WebhookDispatcher  # narrower than the mixin's: the sandbox uses all of it

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
        self.gone_total = 0  # requests to a method while a breaking switch has removed it
        self.sellers = SellerDesk(self.book, self.webhooks)

    @property
    def statuses(self) -> StatusDictionary:
        """The status dictionary in force, with whatever the evolution switches add or rename."""
        return self.status_rename.dictionary(self._evolved_statuses)

    @property
    def _evolved_statuses(self) -> StatusDictionary:
        return dictionary_for(self.config.statuses, self.config.evolution)

    @property
    def status_rename(self) -> StatusRename:
        return StatusRename.of(self._evolved_statuses, self.config.evolution)

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """The reasons dictionary, its status names as the status dictionary in force has them."""
        return reasons_named(self.status_rename.name)

    def set_evolution(self, *, breaking: bool | None = None, **changes: Any) -> None:
        """Flip switches; `breaking` sets all five breaking ones first, so a switch named
        beside it wins. ValueError (nothing changed) for a status rename that cannot apply."""
        given = {**(all_breaking(breaking) if breaking is not None else {}), **changes}
        switches = dataclasses.replace(self.config.evolution, **given)
        evolved = dictionary_for(self.config.statuses, switches)
        if switches.status_renamed and not StatusRename.of(evolved, switches).applicable:
            raise ValueError(
                f"cannot rename status {switches.renamed_status_from!r} to "
                f"{switches.renamed_status_to!r}: the first must be a status, the second not"
            )
        self.config.evolution = switches

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
        """A generated lead shaped by the switches in force; the fields given win as given."""
        switches = self.config.evolution
        generated = self.factory.make()
        while "id" not in lead and generated["id"] in self.book.by_id:
            generated["id"] = self.factory.make()["id"]
        payload = break_lead(evolve_lead(generated, switches), switches)
        if switches.id_as_int and "id" not in lead:
            payload["id"] = self._free_integer_id()
        return {**payload, **lead}

    def _free_integer_id(self) -> int:
        # The base plus the lead's feed position, or the next one free: a lead given such an id
        # as text ("900002") holds it as well, since leads are looked up by their id as text.
        candidate = INTEGER_ID_BASE + self.book.next_position
        while str(candidate) in self.book.by_id:
            candidate += 1
        return candidate

    def update_lead(self, lead_id: str, edit: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The seller edits the request (none: asks 5 % less); the change's feed row.
        `ChangeRefused` for an unknown lead or one the seller can no longer change."""
        return self.sellers.update(lead_id, edit, self.statuses)

    def withdraw_lead(self, lead_id: str) -> dict[str, Any]:
        """The seller cancels the request: Avito sets the cancellation and applies nothing more
        (a status item is answered `forbidden` with `errorCode: lead_withdrawn`)."""
        return self.sellers.withdraw(lead_id, self.statuses)

    def lead(self, lead_id: str) -> LeadRecord | None:
        """The lead whose id is `lead_id`, or whose integer id `lead_id` is the decimal of."""
        return self.book.get(lead_id)

    def read_back(self, lead_id: str) -> dict[str, Any] | None:
        """The status read-back of a lead (section 8), or None if there is no such lead."""
        record = self.lead(lead_id)
        return record.status_json(self.status_rename.aliases) if record else None

    def apply_statuses(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        switches = self.config.evolution
        rules = self._apply_rules(switches)
        return [evolve_answer(row, switches) for row in apply_items(self.book, rules, items)]

    def _apply_rules(self, switches: EvolutionSwitches) -> ApplyRules:
        statuses, rename = self.statuses, self.status_rename
        reason_codes = (
            codes_by_status(self.reasons, statuses.requires_reason)
            if switches.reason_codes
            else None
        )
        return ApplyRules(
            statuses,
            optional_fields=item_fields(switches) | breaking_item_fields(switches),
            after_success=lambda record: move_on_its_own(record, switches, rename.aliases),
            aliases=rename.aliases,
            retired_statuses=rename.retired,
            reason_codes=reason_codes,
            # Leads made under `id_as_int` keep their integer ids after it is switched off.
            integer_lead_ids=switches.id_as_int or self.book.integer_id_leads > 0,
        )

    def settlement(self, date_from: date, date_to: date) -> dict[str, Any]:
        """The week's settlement rows; PeriodError unless Monday to the next Monday."""
        week = Week.of(date_from, date_to)
        aliases = self.status_rename.aliases
        lines = settlement_lines(self.book, self.statuses, self.config.commission, week, aliases)
        return settlement_json(lines, week)

    def state_json(self) -> dict[str, Any]:
        book = self.book
        return {
            **book.to_json(self.status_rename.aliases),
            "webhook": self.webhooks.to_json(),
            "tokens": self.tokens.to_json(),
            "evolution": self.config.evolution.to_json(),
            "faults": self.config.faults.to_json(),
            "stats": {
                **self.limiter.to_json(),
                "forbidden_total": book.forbidden_total,
                "already_applied_total": book.already_applied_total,
                "invalid_total": book.invalid_total,
                "invalid_renamed_status_total": book.invalid_renamed_status_total,
                "invalid_reason_code_total": book.invalid_reason_code_total,
                "gone_total": self.gone_total,
                "withdrawn_total": book.withdrawn_total,
                "withdrawn_refused_total": book.withdrawn_refused_total,
                "faults": self.faults.to_json(),
            },
        }

    async def aclose(self) -> None:
        await self.webhooks.aclose()


__all__ = ["AvitoSandbox", "DuplicateLeadError"]
