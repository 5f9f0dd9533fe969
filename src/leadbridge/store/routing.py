"""Each routing team's turn: read under a row lock and moved in the caller's transaction, so two
workers assigning at once take turns one after the other and never give out the same one."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import RoutingTurn
from leadbridge.store.upsert import insert_ignoring_conflict


async def lock_position(session: AsyncSession, team: str) -> int:
    """The team's position, its row locked until the transaction ends (SQLite's writer lock
    does the same there); a team seen for the first time starts at 0."""
    await insert_ignoring_conflict(
        session, RoutingTurn, {"team": team, "position": 0}, ["team"], "team"
    )
    statement = select(RoutingTurn.position).where(RoutingTurn.team == team).with_for_update()
    return int((await session.scalar(statement)) or 0)


async def save_position(session: AsyncSession, team: str, position: int) -> None:
    await session.execute(
        update(RoutingTurn).where(RoutingTurn.team == team).values(position=position)
    )
