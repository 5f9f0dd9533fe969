"""Avito contract drift seen (`avito_contract_drift`): one row per (kind, name), counted since it
was first seen, with the first masked sample; and how many Avito events wait in quarantine.

Written by `store/drift_notes.py` and read by /metrics and the «Изменения API Авито» page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.store.tables import ContractDrift, InboxEvent
from leadbridge.store.upsert import dialect_name

AVITO = "avito"
NAME_LENGTH = 256  # the width of `avito_contract_drift.name`; PostgreSQL refuses a longer one
LISTED = 1000


@dataclass(frozen=True, slots=True)
class DriftRow:
    kind: str
    name: str
    first_seen_at: datetime
    last_seen_at: datetime
    seen: int
    sample: str


async def record(
    session: AsyncSession, kind: str, name: str, sample: str, now: datetime, *, times: int = 1
) -> bool:
    """Count `times` sightings of (kind, name): a new row, or more on the row, whose first
    sample stays. True when the row is new.

    One INSERT … ON CONFLICT DO UPDATE, so two workers recording the same drift at once both
    count and exactly one of them is told it is new: only an insert leaves `seen` at `times`."""
    table = cast(Table, ContractDrift.__table__)
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    inserted = insert(table).values(
        kind=kind,
        name=_storable(name),
        first_seen_at=now,
        last_seen_at=now,
        seen=times,
        sample=sample,
    )
    # The later of the two times: a worker whose clock read came first must not move it back.
    later = case(
        (inserted.excluded.last_seen_at > table.c.last_seen_at, inserted.excluded.last_seen_at),
        else_=table.c.last_seen_at,
    )
    statement = inserted.on_conflict_do_update(
        index_elements=[table.c.kind, table.c.name],
        set_={"seen": table.c.seen + inserted.excluded.seen, "last_seen_at": later},
    ).returning(table.c.seen)
    seen = (await session.execute(statement)).scalar_one()
    return int(seen) == times


def _storable(name: str) -> str:
    """A name as the column takes it: NUL (refused by PostgreSQL's text) replaced, and cut to the
    column's width; a name that long is an attack or a bug, and its start is enough to see."""
    cleaned = name.replace("\x00", "\ufffd").encode("utf-8", errors="replace").decode("utf-8")
    return cleaned[:NAME_LENGTH]


async def listing(session: AsyncSession, *, limit: int = LISTED) -> list[DriftRow]:
    """The drift seen, the most recently seen first (at most `limit` rows)."""
    rows = await session.scalars(
        select(ContractDrift)
        .order_by(ContractDrift.last_seen_at.desc(), ContractDrift.kind, ContractDrift.name)
        .limit(limit)
    )
    return [
        DriftRow(
            kind=row.kind,
            name=row.name,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            seen=row.seen,
            sample=row.sample,
        )
        for row in rows
    ]


async def quarantined_avito(session: AsyncSession) -> int:
    """Avito events in quarantine not yet replayed: what a fixed mapping would let through."""
    statement = select(func.count()).where(
        InboxEvent.source == AVITO,
        InboxEvent.quarantined_at.is_not(None),
        InboxEvent.replayed_at.is_(None),
    )
    return int(await session.scalar(statement) or 0)
