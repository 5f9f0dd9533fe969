"""Each routing team's turn: read under a row lock and moved in the caller's transaction, so two
workers assigning at once take turns one after the other and never give out the same one.

A batch's teams are locked together, in one statement ordered by name (two workers lock in the
same order and cannot deadlock), and saved together: one round trip each, whatever the number
of teams, because deal creation waits for them."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import RoutingTurn
from leadbridge.store.upsert import insert_many_ignoring_conflict


async def lock_positions(session: AsyncSession, teams: Collection[str]) -> dict[str, int]:
    """team → its position, the rows locked until the transaction ends (SQLite's writer lock
    does the same there); a team seen for the first time starts at 0."""
    if not teams:
        return {}
    positions = await _locked(session, teams)
    new = sorted(set(teams) - positions.keys())
    if new:
        rows = [{"team": team, "position": 0} for team in new]
        await insert_many_ignoring_conflict(session, RoutingTurn, rows, ["team"])
        positions.update(await _locked(session, new))
    return positions


async def save_positions(session: AsyncSession, positions: Mapping[str, int]) -> None:
    if not positions:
        return
    moved = case(dict(positions), value=RoutingTurn.team)
    await session.execute(
        update(RoutingTurn).where(RoutingTurn.team.in_(list(positions))).values(position=moved)
    )


async def _locked(session: AsyncSession, teams: Collection[str]) -> dict[str, int]:
    statement = (
        select(RoutingTurn.team, RoutingTurn.position)
        .where(RoutingTurn.team.in_(sorted(teams)))
        .order_by(RoutingTurn.team)
        .with_for_update()
    )
    return {team: int(position) for team, position in await session.execute(statement)}
