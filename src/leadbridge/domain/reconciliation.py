"""Drift between amoCRM, our records and Avito, classified per lead. Pure: the facts come in.

The funnel decides what a deal's stage implies, so an edited mapping (a stage now mapped to a
later Avito status) shows up here as statuses the stage implies and Avito does not have yet.

A difference the bridge is still working through is «в пути» (`Drift.in_flight`), not a problem:
a run during a backlog saw hundreds of statuses "not delivered" that were queued or whose
stage change had just happened, and the next run found them delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from leadbridge.domain.funnel import Funnel
from leadbridge.domain.status_path import PlannedStatus, StatusPlan, Verdict, plan_statuses


class DriftKind(StrEnum):
    MISSING_IN_CRM = "missing_in_crm"  # an Avito lead with no deal
    MISSING_IN_AVITO = "missing_in_avito"  # statuses the stage implies that Avito lacks
    STATUS_MISMATCH = "status_mismatch"
    AMOUNT_MISMATCH = "amount_mismatch"


@dataclass(frozen=True, slots=True)
class CrmDeal:
    """A deal as amoCRM shows it now; `stage_key` is None for a status the funnel lacks."""

    stage_key: str | None
    price_kopecks: int
    loss_reason: str | None = None
    updated_at: datetime | None = None  # amoCRM's last change of the deal


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What each side knows of one lead at the time of the run."""

    avito_lead_id: str
    has_deal_id: bool  # our record says a deal was created
    deal: CrmDeal | None  # None: no such deal in the pipeline's listing
    logged_stage: str | None  # the stage our status log last saw
    queued_status: str | None  # the last status we queued (sent or still waiting)
    acknowledged: str | None  # the last status Avito acknowledged
    acknowledged_prices: tuple[tuple[str, int], ...] = ()  # priced statuses sent, in order
    in_flight: bool = False  # statuses still queued or parked for this lead
    read_back: str | None = None  # Avito's own answer, when it was asked
    was_read: bool = False
    moving: bool = False  # a status is waiting for its turn or being sent (not parked)
    changed_recently: bool = False  # a side changed the lead within the grace period

    @property
    def on_the_way(self) -> bool:
        """Whether a difference in what Avito has may still settle without anybody's help."""
        return self.moving or self.changed_recently


@dataclass(frozen=True, slots=True)
class Drift:
    kind: DriftKind
    detail: str
    repair: tuple[PlannedStatus, ...] = ()  # what queueing fixes it; empty: a person's
    in_flight: bool = False  # the bridge is still delivering: not a problem yet, nor repaired

    @property
    def repairable(self) -> bool:
        return bool(self.repair)


def needs_read_back(facts: LeadFacts, funnel: Funnel) -> bool:
    """Whether our records disagree enough to ask Avito: the policy spends reads only there."""
    deal = facts.deal
    if deal is None or deal.stage_key is None:
        return False
    if facts.logged_stage != deal.stage_key:
        return True
    if not facts.in_flight and facts.queued_status != facts.acknowledged:
        return True  # something was queued and neither sent nor waiting: skipped by a person
    return _plan(funnel, facts, deal).verdict is not Verdict.UNCHANGED


def classify(facts: LeadFacts, funnel: Funnel) -> list[Drift]:
    """Every drift of one lead; an empty list when all three sides agree."""
    if facts.deal is None:
        if not facts.has_deal_id:
            return [Drift(DriftKind.MISSING_IN_CRM, "no deal was created for the request")]
        return [Drift(DriftKind.MISSING_IN_CRM, "the deal is gone from the pipeline")]
    if facts.deal.stage_key is None:
        return []  # a status of another pipeline or one the funnel lacks: not ours to judge
    drifts = _status_drifts(facts, funnel, facts.deal, facts.deal.stage_key)
    amount = _amount_drift(facts)
    return drifts + ([amount] if amount else [])


def _status_drifts(facts: LeadFacts, funnel: Funnel, deal: CrmDeal, stage: str) -> list[Drift]:
    drifts: list[Drift] = []
    if facts.was_read and facts.read_back != facts.acknowledged:
        # Planning on a status Avito does not have would be wrong: this is a person's to look at.
        # Behind what it acknowledged, Avito lacks statuses; the outbox cannot send a status twice.
        behind = _behind(funnel, facts.read_back, facts.acknowledged)
        kind = DriftKind.MISSING_IN_AVITO if behind else DriftKind.STATUS_MISMATCH
        detail = f"Avito has {facts.read_back}, it acknowledged {facts.acknowledged}"
        # Ahead of what it acknowledged, Avito may be answering a send still in progress.
        return [Drift(kind, detail, in_flight=not behind and facts.on_the_way)]
    plan = _plan(funnel, facts, deal)
    if plan.verdict is Verdict.SEND:
        wanted = ", ".join(planned.status for planned in plan.to_send)
        # What the stage-change flow and the relay deliver, unless the lead stands still. A
        # backward stage or a closed lead, below, stays a difference however fresh.
        detail = f"stage {stage} implies {wanted}"
        drifts.append(
            Drift(DriftKind.MISSING_IN_AVITO, detail, plan.to_send, in_flight=facts.on_the_way)
        )
    elif plan.verdict is Verdict.BACKWARD:
        drifts.append(
            Drift(
                DriftKind.STATUS_MISMATCH,
                f"stage {stage} implies less than {facts.queued_status} Avito already has",
            )
        )
    elif plan.verdict is Verdict.AFTER_TERMINAL and not funnel.stage(stage).lost:
        drifts.append(
            Drift(DriftKind.STATUS_MISMATCH, f"Avito closed the lead; the deal is in {stage}")
        )
    if not facts.in_flight and facts.queued_status != facts.acknowledged:
        drifts.append(
            Drift(
                DriftKind.STATUS_MISMATCH,
                f"{facts.queued_status} was queued, Avito acknowledged only "
                f"{facts.acknowledged}, and nothing waits to be sent",
            )
        )
    return drifts


def _behind(funnel: Funnel, read_back: str | None, acknowledged: str | None) -> bool:
    chain = funnel.statuses.chain
    if acknowledged not in chain:
        return False
    return read_back is None or (
        read_back in chain and chain.index(read_back) < chain.index(acknowledged)
    )


def _plan(funnel: Funnel, facts: LeadFacts, deal: CrmDeal) -> StatusPlan:
    """The same planning the stage-change flow does, from the last status we queued."""
    assert deal.stage_key is not None
    return plan_statuses(
        funnel,
        last_status=facts.queued_status,
        stage_key=deal.stage_key,
        price_kopecks=deal.price_kopecks,
        loss_reason=deal.loss_reason,
    )


def _amount_drift(facts: LeadFacts) -> Drift | None:
    if not facts.acknowledged_prices or facts.deal is None:
        return None
    status, sent = facts.acknowledged_prices[-1]
    now = facts.deal.price_kopecks
    if sent == now:
        return None
    return Drift(
        DriftKind.AMOUNT_MISMATCH,
        f"Avito got {_roubles(sent)} for {status}; the deal says {_roubles(now)}",
    )


def _roubles(kopecks: int) -> str:
    return f"{kopecks // 100}.{kopecks % 100:02d} ₽"
