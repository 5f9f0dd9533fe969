"""Retention bookkeeping: when each deal closed (kept from the status log), which deals are due
for anonymization, and the audit of purge runs.

The closing moments are kept by the purge job rather than by the flows: it reads the
append-only status log from a cursor, so each run costs what was logged since the last one,
never the whole history, and the flows that log changes stay as they are.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from leadbridge.domain.retention import PurgeCounts
from leadbridge.store.tables import StatusChange
from leadbridge.store.tables.privacy import LeadClosure, PrivacyRun
from leadbridge.store.upsert import dialect_name

CURSOR = "privacy_status_log"  # in `cursors`: the last status log id read (migration 0020)


@dataclass(frozen=True, slots=True)
class LoggedChange:
    id: int
    lead_id: int
    recorded_at: datetime


async def changes_after(session: AsyncSession, after_id: int, limit: int) -> list[LoggedChange]:
    """The next logged changes, in log order (by the primary key)."""
    rows = await session.execute(
        select(StatusChange.id, StatusChange.lead_id, StatusChange.recorded_at)
        .where(StatusChange.id > after_id)
        .order_by(StatusChange.id)
        .limit(limit)
    )
    return [LoggedChange(*row) for row in rows.all()]


async def latest_changes(
    session: AsyncSession, lead_ids: Collection[int]
) -> dict[int, tuple[int, datetime]]:
    """Lead id → (status id, moment) of its latest logged change: by the lead_id index, so a
    lead's state is read whole whichever of its changes brought it here (re-reading is safe)."""
    latest = (
        select(func.max(StatusChange.id))
        .where(StatusChange.lead_id.in_(list(lead_ids)))
        .group_by(StatusChange.lead_id)
    )
    rows = await session.execute(
        select(StatusChange.lead_id, StatusChange.new_status_id, StatusChange.occurred_at).where(
            StatusChange.id.in_(latest)
        )
    )
    return {lead_id: (status, moment) for lead_id, status, moment in rows.all()}


async def keep_closures(session: AsyncSession, closures: Mapping[int, datetime | None]) -> None:
    """Lead id → when it closed, or None: reopened (its row, if any, loses the moment)."""
    closed = [
        {"lead_id": lead_id, "closed_at": moment}
        for lead_id, moment in closures.items()
        if moment is not None
    ]
    if closed:
        dialect = postgresql if dialect_name(session) == "postgresql" else sqlite
        statement = dialect.insert(LeadClosure)
        statement = statement.on_conflict_do_update(
            index_elements=[LeadClosure.lead_id],
            set_={"closed_at": statement.excluded.closed_at},
        )
        await session.execute(statement, closed)
    reopened = [lead_id for lead_id, moment in closures.items() if moment is None]
    if reopened:
        await session.execute(
            update(LeadClosure).where(LeadClosure.lead_id.in_(reopened)).values(closed_at=None)
        )


def _due(before: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    # Both conditions on ix_lead_closures_due (anonymized_at, closed_at): a range scan, from
    # the oldest closing up to the cut-off, whatever the number of deals anonymized before.
    return LeadClosure.anonymized_at.is_(None), LeadClosure.closed_at < before


async def count_due(session: AsyncSession, before: datetime) -> int:
    statement = select(func.count()).select_from(LeadClosure).where(*_due(before))
    return int(await session.scalar(statement) or 0)


async def claim_due(
    session: AsyncSession, before: datetime, limit: int, now: datetime
) -> list[int]:
    """Mark the next `limit` due leads anonymized (oldest closing first) and return them: the
    caller anonymizes them in the same transaction."""
    next_due = (
        select(LeadClosure.lead_id)
        .where(*_due(before))
        .order_by(LeadClosure.closed_at)
        .limit(limit)
    )
    claimed = await session.scalars(
        update(LeadClosure)
        .where(LeadClosure.lead_id.in_(next_due))
        .values(anonymized_at=now)
        .returning(LeadClosure.lead_id)
    )
    return list(claimed.all())


async def start_run(session: AsyncSession, *, actor: str, cutoff: datetime, now: datetime) -> int:
    run = PrivacyRun(actor=actor, started_at=now, cutoff=cutoff, leads=0, events=0, contacts=0)
    session.add(run)
    await session.flush()
    return run.id


async def count_into_run(session: AsyncSession, run_id: int, counts: PurgeCounts) -> None:
    """Add a batch's counts to its run, in the batch's transaction."""
    await session.execute(
        update(PrivacyRun)
        .where(PrivacyRun.id == run_id)
        .values(
            leads=PrivacyRun.leads + counts.leads,
            events=PrivacyRun.events + counts.events,
            contacts=PrivacyRun.contacts + counts.contacts,
        )
    )


async def finish_run(session: AsyncSession, run_id: int, now: datetime) -> None:
    await session.execute(update(PrivacyRun).where(PrivacyRun.id == run_id).values(finished_at=now))


async def latest_runs(session: AsyncSession, limit: int) -> list[PrivacyRun]:
    statement = select(PrivacyRun).order_by(PrivacyRun.id.desc()).limit(limit)
    return list((await session.scalars(statement)).all())
