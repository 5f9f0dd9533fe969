"""`[settlement]`: the commission rules of the weekly settlement with Avito, each from its own
date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadbridge.config.errors import ConfigurationError
from leadbridge.domain.commission import CommissionRule, RuleBook, RuleError


class CommissionRuleSettings(BaseModel):
    """One commission rule; see `domain/commission.py`. Defaults: Avito's published terms."""

    model_config = ConfigDict(extra="forbid")

    valid_from: date = Field(date(2000, 1, 1), description="Moscow date it takes effect")
    kind: Literal["percent", "fixed"] = "percent"
    percent: Decimal = Field(Decimal("5"), ge=0)
    min_kopecks: int = Field(30_000, ge=0)
    max_kopecks: int = Field(500_000, ge=0)
    fixed_kopecks: dict[str, int] = Field(
        default_factory=dict, description="per device category (phone, tablet), for kind fixed"
    )

    def rule(self) -> CommissionRule:
        return CommissionRule(
            valid_from=self.valid_from,
            kind=self.kind,
            percent=self.percent,
            min_kopecks=self.min_kopecks,
            max_kopecks=self.max_kopecks,
            fixed_kopecks=dict(self.fixed_kopecks),
        )


class SettlementSettings(BaseModel):
    """The weekly settlement with Avito: commission rules, each from its own date."""

    model_config = ConfigDict(extra="forbid")

    rules: list[CommissionRuleSettings] = Field(default_factory=lambda: [CommissionRuleSettings()])

    def rule_book(self) -> RuleBook:
        try:
            return RuleBook.of(rule.rule() for rule in self.rules)
        except RuleError as error:
            raise ConfigurationError(f"settlement.rules: {error}") from error
