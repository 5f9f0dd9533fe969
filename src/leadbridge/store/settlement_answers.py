"""Avito's settlement answers kept raw (`settlement_avito_lines`): every line as received,
stored before anything reads it, and the reason of each line a check could not read.

A line is known by its week, the digest of its content and which copy of that content it is
in the answer: the same answer fetched again moves no line and inserts none, so a week can be
checked any number of times. A line a later answer no longer carries keeps its row, with no
position: what Avito once sent is never deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.periods import Week
from leadbridge.domain.settlement_quarantine import QuarantinedLine
from leadbridge.store.settlement import ensure_period
from leadbridge.store.tables import SettlementAvitoLine
from leadbridge.store.upsert import dialect_name

IDENTITY = ("week", "digest", "occurrence")


def identities(lines: Sequence[object]) -> list[tuple[str, int, str]]:
    """(digest, occurrence, body) of each line, in order. The body is ASCII-escaped JSON:
    lossless, and storable whatever the line holds (a NUL, a lone surrogate)."""
    copies: Counter[str] = Counter()
    found: list[tuple[str, int, str]] = []
    for line in lines:
        # Key order and spacing are not content: the same line reformatted is the same line.
        canonical = json.dumps(line, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        found.append((digest, copies[digest], json.dumps(line)))
        copies[digest] += 1
    return found


async def keep(session: AsyncSession, week: Week, lines: Sequence[object], now: datetime) -> None:
    """Store the week's answer, line by line, as the latest one: its lines get their positions,
    lines of earlier answers it no longer carries lose theirs."""
    await ensure_period(session, week)
    model = SettlementAvitoLine
    await session.execute(update(model).where(model.week == week.name).values(position=None))
    rows = [
        {
            "week": week.name,
            "digest": digest,
            "occurrence": occurrence,
            "position": position,
            "body": body,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for position, (digest, occurrence, body) in enumerate(identities(lines))
    ]
    if rows:
        await session.execute(_upsert(session), rows)


def _upsert(session: AsyncSession) -> Any:
    table = cast(Table, SettlementAvitoLine.__table__)
    insert = (postgresql if dialect_name(session) == "postgresql" else sqlite).insert(table)
    return insert.on_conflict_do_update(
        index_elements=[table.c[name] for name in IDENTITY],
        set_={"position": insert.excluded.position, "last_seen_at": insert.excluded.last_seen_at},
    )


async def mark_unreadable(
    session: AsyncSession, week: Week, quarantined: Sequence[QuarantinedLine]
) -> None:
    """The latest answer's verdicts: each quarantined line's reason, no reason on the rest."""
    model = SettlementAvitoLine
    in_latest = (model.week == week.name, model.position.is_not(None))
    await session.execute(update(model).where(*in_latest).values(reason=None))
    for line in quarantined:
        if line.position is not None:
            await session.execute(
                update(model)
                .where(model.week == week.name, model.position == line.position)
                .values(reason=line.reason)
            )


async def latest(session: AsyncSession, week: Week) -> Sequence[SettlementAvitoLine]:
    """The lines of the week's latest answer, in Avito's order."""
    model = SettlementAvitoLine
    query = (
        select(model)
        .where(model.week == week.name, model.position.is_not(None))
        .order_by(model.position)
    )
    return (await session.scalars(query)).all()


async def kept(session: AsyncSession, week: Week) -> Sequence[SettlementAvitoLine]:
    """Every line kept for the week, those of earlier answers too."""
    query = select(SettlementAvitoLine).where(SettlementAvitoLine.week == week.name)
    return (await session.scalars(query.order_by(SettlementAvitoLine.id))).all()
