"""The buyout funnel: amoCRM stages, the Avito status each implies, and Avito's status chain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

WON_STATUS_ID = 142
LOST_STATUS_ID = 143
# The stage that means the manager reached the seller: the end of "speed of first contact".
DEFAULT_FIRST_CONTACT_STAGE = "contacted"


class FunnelError(ValueError):
    """The funnel configuration is inconsistent."""


@dataclass(frozen=True, slots=True)
class Stage:
    key: str
    name: str
    avito_status: str | None = None
    color: str | None = None
    amocrm_status_id: int | None = None  # fixed ids only: 142 won, 143 lost
    lost: bool = False


@dataclass(frozen=True, slots=True)
class LossReason:
    name: str
    avito_status: str
    # The reason leadbridge closes a deal with when its seller cancelled the request on Avito
    # (`avito.on_withdrawal`); managers are not meant to pick it themselves.
    seller_withdrew: bool = False


@dataclass(frozen=True, slots=True)
class AvitoStatuses:
    chain: tuple[str, ...]
    priced: frozenset[str]
    rejected: str
    cancelled: str
    returned: str

    @property
    def terminal(self) -> frozenset[str]:
        return frozenset({self.rejected, self.cancelled, self.returned})

    def position(self, status: str) -> int:
        return self.chain.index(status)


@dataclass(frozen=True, slots=True)
class Funnel:
    name: str
    stages: tuple[Stage, ...]
    statuses: AvitoStatuses
    commission_status: str
    loss_reasons: tuple[LossReason, ...] = ()
    first_contact_stage: str = DEFAULT_FIRST_CONTACT_STAGE
    _implied: Mapping[str, str | None] = field(default_factory=dict, repr=False)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Funnel:
        statuses = _statuses_from(raw["avito"])
        stages = tuple(Stage(**stage) for stage in raw["stages"])
        reasons = tuple(LossReason(**reason) for reason in raw.get("loss_reasons", ()))
        funnel = cls(
            name=raw["name"],
            stages=stages,
            statuses=statuses,
            commission_status=raw["commission_status"],
            loss_reasons=reasons,
            first_contact_stage=raw.get("first_contact_stage", DEFAULT_FIRST_CONTACT_STAGE),
            _implied=_implied_statuses(stages),
        )
        funnel.validate()
        return funnel

    def validate(self) -> None:
        keys = [stage.key for stage in self.stages]
        if len(set(keys)) != len(keys):
            raise FunnelError("stage keys must be unique")
        known = set(self.statuses.chain) | self.statuses.terminal
        for stage in self.stages:
            if stage.avito_status is not None and stage.avito_status not in self.statuses.chain:
                raise FunnelError(
                    f"stage {stage.key!r}: {stage.avito_status!r} is not in the chain"
                )
        for reason in self.loss_reasons:
            if reason.avito_status not in known:
                raise FunnelError(f"loss reason {reason.name!r}: unknown {reason.avito_status!r}")
        if sum(reason.seller_withdrew for reason in self.loss_reasons) > 1:
            raise FunnelError("only one loss reason may be the seller's withdrawal")
        if self.commission_status not in known:
            raise FunnelError(f"unknown commission status {self.commission_status!r}")
        if not any(stage.lost for stage in self.stages):
            raise FunnelError("one stage must be marked lost")
        contact = next((s for s in self.stages if s.key == self.first_contact_stage), None)
        if contact is None or contact.lost:
            raise FunnelError(
                f"first_contact_stage {self.first_contact_stage!r} must name a stage that is "
                "not the lost one"
            )

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    @property
    def first_stage(self) -> Stage:
        return self.stages[0]

    @property
    def working_stages(self) -> Sequence[Stage]:
        """Stages leadbridge creates in amoCRM (the fixed 142/143 already exist)."""
        return [stage for stage in self.stages if stage.amocrm_status_id is None]

    def implied_status(self, stage_key: str) -> str | None:
        """The chain status a deal in this stage has reached; None for the lost stage."""
        return self._implied[stage_key]

    @property
    def withdrawal_reason(self) -> str | None:
        """The loss reason of a deal whose seller cancelled on Avito; None if the funnel has none
        (a withdrawal then closes the deal without a reason)."""
        return next((r.name for r in self.loss_reasons if r.seller_withdrew), None)

    @property
    def manager_loss_reasons(self) -> tuple[LossReason, ...]:
        """The loss reasons a manager picks from: all but the withdrawal's."""
        return tuple(reason for reason in self.loss_reasons if not reason.seller_withdrew)

    def loss_status(self, reason_name: str | None) -> str:
        for reason in self.loss_reasons:
            if reason.name == reason_name and reason.avito_status != self.statuses.returned:
                return reason.avito_status
        return self.statuses.rejected


def _statuses_from(raw: Mapping[str, Any]) -> AvitoStatuses:
    return AvitoStatuses(
        chain=tuple(raw["chain"]),
        priced=frozenset(raw.get("priced", ())),
        rejected=raw["rejected"],
        cancelled=raw["cancelled"],
        returned=raw["returned"],
    )


def _implied_statuses(stages: Sequence[Stage]) -> dict[str, str | None]:
    implied: dict[str, str | None] = {}
    current: str | None = None
    for stage in stages:
        if stage.lost:
            implied[stage.key] = None
            continue
        current = stage.avito_status or current
        implied[stage.key] = current
    return implied
