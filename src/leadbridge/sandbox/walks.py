"""How one manager walks one deal through the funnel: the moves, decided up front from a seed.

Most deals go stage by stage, some skip a stage or two, a few step back and go on, about a third
are lost with a reason that fits the stage, and a few bought-out devices are returned.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from leadbridge.domain.funnel import Funnel

LOSS_SHARE, SKIP_SHARE, BACKWARD_SHARE, RETURN_SHARE = 0.30, 0.15, 0.03, 0.03
SELLER_REASONS = ("Продавец передумал", "Продавец не отвечает")
REASONS_BY_STAGE: dict[str, tuple[str, ...]] = {
    "contacted": (*SELLER_REASONS, "Подозрение на кражу или блокировку"),
    "negotiation": ("Не сошлись в цене",),
    "price_agreed": ("Продавец передумал",),
    "pickup_scheduled": SELLER_REASONS,
    "in_transit": ("Продавец передумал",),
    "received": ("Устройство не прошло диагностику",),
    "inspection": ("Устройство не прошло диагностику", "Подозрение на кражу или блокировку"),
}
FORWARD, SKIP, BACKWARD, CLOSE = "forward", "skip", "backward", "close"


@dataclass(frozen=True, slots=True)
class Move:
    stage_key: str
    kind: str = FORWARD
    price: int | None = None  # whole rubles, as amoCRM keeps it
    loss_reason: str | None = None


def plan_walk(funnel: Funnel, *, start_key: str, price: int, rng: random.Random) -> list[Move]:
    """The moves one manager makes on one deal, from the stage it is in to won or lost."""
    path = [stage.key for stage in funnel.stages if not stage.lost]
    if start_key not in path:
        return []
    start, bought = path.index(start_key), _bought_out_index(funnel, path)
    end, closing = len(path) - 1, None
    # A seller takes the device back soon after the buyout, before it is put on sale.
    return_window = range(max(start, bought), min(bought + 2, end))
    if rng.random() < LOSS_SHARE and start < bought:
        end = rng.randrange(start, bought)
        closing = _loss_reason(funnel, path[end], rng)
    elif rng.random() < RETURN_SHARE and return_window:
        end = rng.choice(return_window)
        closing = returned_reason(funnel)
    moves = _forward_moves(funnel, path, start=start, end=end, price=price, rng=rng)
    if closing is not None or end < len(path) - 1:
        moves.append(Move(_lost_key(funnel), CLOSE, loss_reason=closing))
    return moves


def _forward_moves(
    funnel: Funnel, path: Sequence[str], *, start: int, end: int, price: int, rng: random.Random
) -> list[Move]:
    wants_skip = end > start + 1 and rng.random() < SKIP_SHARE
    skip_at = rng.randrange(start, end - 1) if wants_skip else None
    # Stepping back from a closing stage would close the deal twice, so only before the end.
    wants_back = end > start + 1 and rng.random() < BACKWARD_SHARE
    back_at = rng.randrange(start + 1, end) if wants_back else None
    pricing = _Pricing(funnel, price, rng)
    moves: list[Move] = []
    position = start
    while position < end:
        step = 1 + (rng.choice((1, 2)) if position == skip_at else 0)
        target = min(position + step, end)
        kind = SKIP if target - position > 1 else FORWARD
        moves.append(Move(path[target], kind, pricing.price_for(path[target])))
        if back_at is not None and back_at <= target < end:
            moves += [Move(path[target - 1], BACKWARD), Move(path[target])]
            back_at = None
        position = target
    return moves


class _Pricing:
    """The buyout price is revised when agreed (±10%) and fixed again at buyout."""

    def __init__(self, funnel: Funnel, price: int, rng: random.Random) -> None:
        self._funnel, self._price, self._rng = funnel, price, rng
        priced = [s for s in funnel.statuses.chain if s in funnel.statuses.priced]
        self._pending = [funnel.statuses.position(status) for status in priced]

    def price_for(self, stage_key: str) -> int | None:
        implied = self._funnel.implied_status(stage_key)
        reached = self._funnel.statuses.position(implied) if implied else -1
        due = [position for position in self._pending if position <= reached]
        if not due:
            return None
        self._pending = [position for position in self._pending if position > reached]
        self._price = max(1, round(self._price * self._rng.uniform(0.9, 1.1)))
        return self._price


def _bought_out_index(funnel: Funnel, path: Sequence[str]) -> int:
    for index, key in enumerate(path):
        if funnel.implied_status(key) == funnel.commission_status:
            return index
    return len(path) - 1


def _loss_reason(funnel: Funnel, stage_key: str, rng: random.Random) -> str | None:
    # A manager never picks the withdrawal's reason: leadbridge gives it when Avito says so.
    reasons = funnel.manager_loss_reasons
    names = [r.name for r in reasons if r.avito_status != funnel.statuses.returned]
    fitting = [name for name in REASONS_BY_STAGE.get(stage_key, SELLER_REASONS) if name in names]
    choices = fitting or names
    return rng.choice(choices) if choices else None


def returned_reason(funnel: Funnel) -> str | None:
    returned = funnel.statuses.returned
    return next((r.name for r in funnel.loss_reasons if r.avito_status == returned), None)


def _lost_key(funnel: Funnel) -> str:
    return next(stage.key for stage in funnel.stages if stage.lost)
