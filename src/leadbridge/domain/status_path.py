"""Which Avito statuses a deal's move to a stage implies, in the order Avito accepts them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from leadbridge.domain.funnel import Funnel


class Verdict(StrEnum):
    SEND = "send"
    UNCHANGED = "unchanged"
    BACKWARD = "backward"  # logged and shown, never sent: Avito's chain only moves forward
    AFTER_TERMINAL = "after_terminal"


@dataclass(frozen=True, slots=True)
class PlannedStatus:
    status: str
    price_kopecks: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class StatusPlan:
    verdict: Verdict
    to_send: tuple[PlannedStatus, ...] = ()

    @property
    def last(self) -> str | None:
        return self.to_send[-1].status if self.to_send else None


def plan_statuses(
    funnel: Funnel,
    *,
    last_status: str | None,
    stage_key: str,
    price_kopecks: int | None,
    loss_reason: str | None = None,
) -> StatusPlan:
    """Statuses to queue when a deal whose last queued Avito status is `last_status` enters a stage.

    Skipped stages become the missing intermediate statuses, so Avito's state machine sees every
    step of its chain in order.
    """
    statuses = funnel.statuses
    if last_status in statuses.terminal:
        return StatusPlan(Verdict.AFTER_TERMINAL)
    if funnel.stage(stage_key).lost:
        return _closing(funnel, last_status, price_kopecks, loss_reason)
    target = funnel.implied_status(stage_key)
    if target is None:
        return StatusPlan(Verdict.UNCHANGED)
    done = -1 if last_status is None else statuses.position(last_status)
    wanted = statuses.position(target)
    if wanted < done:
        return StatusPlan(Verdict.BACKWARD)
    if wanted == done:
        return StatusPlan(Verdict.UNCHANGED)
    steps = statuses.chain[done + 1 : wanted + 1]
    return StatusPlan(Verdict.SEND, tuple(_priced(funnel, step, price_kopecks) for step in steps))


def _closing(
    funnel: Funnel, last_status: str | None, price_kopecks: int | None, loss_reason: str | None
) -> StatusPlan:
    statuses = funnel.statuses
    if last_status == funnel.commission_status:
        return StatusPlan(Verdict.SEND, (PlannedStatus(statuses.returned, reason=loss_reason),))
    prefix = () if last_status is not None else (_priced(funnel, statuses.chain[0], price_kopecks),)
    closing = PlannedStatus(funnel.loss_status(loss_reason), reason=loss_reason or "Не указана")
    return StatusPlan(Verdict.SEND, (*prefix, closing))


def _priced(funnel: Funnel, status: str, price_kopecks: int | None) -> PlannedStatus:
    if status in funnel.statuses.priced:
        return PlannedStatus(status, price_kopecks=price_kopecks)
    return PlannedStatus(status)
