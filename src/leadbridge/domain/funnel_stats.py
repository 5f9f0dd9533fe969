"""How many deals reached each stage of the funnel, and how many of them went on to the next."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from leadbridge.domain.funnel import Funnel


@dataclass(frozen=True, slots=True)
class StageCount:
    key: str
    name: str
    current: int  # deals in the stage now
    reached: int  # deals that were in this stage or any later one (the lost stage excluded)
    to_next: Decimal | None  # % of `reached` that reached the next stage; None if nobody here


def stage_positions(funnel: Funnel) -> dict[str, int]:
    """The position of each stage a deal moves through; the lost stage is off the path."""
    path = [stage.key for stage in funnel.stages if not stage.lost]
    return {key: position for position, key in enumerate(path)}


def funnel_counts(
    funnel: Funnel, current: Mapping[str | None, int], furthest: Mapping[int, int]
) -> list[StageCount]:
    """`current`: deals per stage key now; `furthest`: deals per furthest position reached."""
    positions = stage_positions(funnel)
    reached_at: dict[int, int] = {}
    running = 0
    for place in sorted(positions.values(), reverse=True):
        running += furthest.get(place, 0)
        reached_at[place] = running
    counts = []
    for stage in funnel.stages:
        position = positions.get(stage.key)
        following: int | None = None
        if position is None:  # the lost stage: only the deals in it now
            reached = current.get(stage.key, 0)
        else:
            reached, following = reached_at.get(position, 0), reached_at.get(position + 1)
        counts.append(
            StageCount(
                key=stage.key,
                name=stage.name,
                current=current.get(stage.key, 0),
                reached=reached,
                to_next=_share(following, reached),
            )
        )
    return counts


def _share(part: int | None, whole: int) -> Decimal | None:
    if part is None or whole == 0:  # the last stage, or nobody got here: no share to give
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))
