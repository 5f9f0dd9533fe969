"""What each process's supervised loops last did (`loop_heartbeats`), written by the process and
read by `/readyz`, `/metrics` and the dashboard of every process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.loop_health import LoopRecord
from leadbridge.store.tables import LoopHeartbeat

# A killed process's rows are shown as gone for a while, then forgotten.
FORGET_AFTER = timedelta(hours=1)


async def write(
    session: AsyncSession, process: str, records: Sequence[LoopRecord], now: datetime
) -> None:
    """Replace `process`'s rows with `records`, and forget processes silent for an hour."""
    await session.execute(
        delete(LoopHeartbeat).where(
            (LoopHeartbeat.process == process) | (LoopHeartbeat.updated_at < now - FORGET_AFTER)
        )
    )
    if records:
        await session.execute(insert(LoopHeartbeat), [_row(record, now) for record in records])


async def remove(session: AsyncSession, process: str) -> None:
    """A process that stops cleanly takes its rows with it."""
    await session.execute(delete(LoopHeartbeat).where(LoopHeartbeat.process == process))


async def all_records(session: AsyncSession) -> list[LoopRecord]:
    rows = await session.scalars(
        select(LoopHeartbeat).order_by(
            LoopHeartbeat.role, LoopHeartbeat.process, LoopHeartbeat.loop
        )
    )
    return [
        LoopRecord(
            process=row.process,
            role=row.role,
            loop=row.loop,
            period_s=row.period_s,
            state=row.state,
            restarts=row.restarts,
            last_pass_at=row.last_pass_at or row.updated_at,
            last_error=row.last_error,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def _row(record: LoopRecord, now: datetime) -> dict[str, object]:
    return {
        "process": record.process,
        "loop": record.loop,
        "role": record.role,
        "period_s": record.period_s,
        "state": record.state,
        "restarts": record.restarts,
        "last_pass_at": record.last_pass_at,
        "last_error": record.last_error,
        "updated_at": now,
    }
