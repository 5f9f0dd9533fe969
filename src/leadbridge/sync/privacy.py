"""The retention job: sellers' personal data of deals closed longer ago than
`privacy.keep_closed_days` is anonymized, in short batches, and each run is audited.

A run first brings the closing moments up to date from the status log (from its cursor: what
was logged since the last run), then anonymizes the due leads oldest first, a batch per
transaction, so that SQLite's one writer is never held for long and a run cut short keeps what
it did. Its cost grows with what it reads since the last run and what it anonymizes, not with
the history: both are index range scans.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from itertools import takewhile

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.avito.mapping import LeadMapping
from leadbridge.avito.mapping_in_force import default_mapping, mapping_for
from leadbridge.config import Settings
from leadbridge.config.privacy import PrivacySettings
from leadbridge.domain.retention import (
    Path,
    PurgeCounts,
    closed_at,
    cutoff,
    personal_paths,
)
from leadbridge.store import cursors, personal_data, retention
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade

log = structlog.get_logger(__name__)
# Status log rows read per transaction while catching up (SQLite's bound-parameter limit).
LOG_PAGE = 900
# Rows logged less than this long ago wait for the next run: on PostgreSQL a row may commit
# after one with a higher id, and the cursor must not pass it by. A change is logged in a
# transaction of milliseconds; minutes are a wide margin, and nothing is due for years.
SETTLE = timedelta(minutes=10)

Progress = Callable[[int, int], None]  # (anonymized so far, due at the start)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    cutoff: datetime
    due: int  # at the start of the run
    counts: PurgeCounts
    run_id: int | None  # the audit row; None for a dry run


@dataclass
class Purge:
    db: Database
    settings: PrivacySettings
    paths: frozenset[Path]
    actor: str = "job"

    @classmethod
    def for_settings(cls, db: Database, settings: Settings, actor: str = "job") -> Purge:
        # The fields under the mapping in force and under the default one: payloads stored
        # before a mapping change are redacted too.
        mappings = (mapping_for(settings.avito), default_mapping())
        return cls(db, settings.privacy, personal_paths(_sources(mappings)), actor)

    async def run_once(self) -> int:
        """The periodic job's step: the leads anonymized."""
        return (await self.run()).counts.leads

    async def run(self, progress: Progress | None = None) -> PurgeReport:
        now = datetime.now(UTC)
        before = cutoff(now, self.settings.keep_closed_days)
        await self._catch_up(now)
        async with self.db.transaction() as session:
            due = await retention.count_due(session, before)
            run_id = await retention.start_run(session, actor=self.actor, cutoff=before, now=now)
        total = PurgeCounts()
        while True:
            async with self.db.transaction() as session:
                counts = await self._batch(session, before, run_id)
            if counts is None:
                break
            total.leads += counts.leads
            total.events += counts.events
            total.contacts += counts.contacts
            if progress is not None:
                progress(total.leads, due)
            await asyncio.sleep(0)  # the flows sharing this process get their turn
        async with self.db.transaction() as session:
            await retention.finish_run(session, run_id, datetime.now(UTC))
        log.info("privacy.purged", run=run_id, cutoff=before.isoformat(), **asdict(total))
        return PurgeReport(before, due, total, run_id)

    async def dry_run(self) -> PurgeReport:
        """How many leads a run would anonymize now. The closing moments are brought up to
        date as a run would, in one transaction that is then rolled back: nothing changes."""
        now = datetime.now(UTC)
        before = cutoff(now, self.settings.keep_closed_days)
        try:
            async with self.db.transaction() as session:
                while await _catch_up_page(session, now):
                    pass
                raise _RolledBack(await retention.count_due(session, before))
        except _RolledBack as rolled_back:
            return PurgeReport(before, rolled_back.due, PurgeCounts(), None)

    async def _catch_up(self, now: datetime) -> None:
        more = True
        while more:
            async with self.db.transaction() as session:
                more = await _catch_up_page(session, now)

    async def _batch(
        self, session: AsyncSession, before: datetime, run_id: int
    ) -> PurgeCounts | None:
        now = datetime.now(UTC)
        lead_ids = await retention.claim_due(session, before, self.settings.batch_size, now)
        if not lead_ids:
            return None
        forgotten = await personal_data.forget_contacts(session, lead_ids)  # phones still there
        # The raw event each lead came in (sync/intake.py keys them `lead:<Avito id>`) before
        # the lead's own fields, then a seller's edits: events of their own, replaced whole.
        events = await personal_data.redact_events(session, "avito", "lead:", lead_ids, self.paths)
        events += await personal_data.forget_seller_changes(session, "avito", lead_ids)
        await personal_data.anonymize_leads(session, lead_ids, self.paths)
        counts = PurgeCounts(leads=len(lead_ids), events=events, contacts=forgotten)
        await retention.count_into_run(session, run_id, counts)
        return counts


class _RolledBack(Exception):  # not an error: how a dry run undoes its writes
    def __init__(self, due: int) -> None:
        super().__init__(due)
        self.due = due


async def _catch_up_page(session: AsyncSession, now: datetime) -> bool:
    """Bring the closing moments of the next page of logged changes up to date; whether more
    may follow. Each lead's state is read from its latest change, so reading a change twice,
    or out of order, does no harm."""
    after = int(await cursors.cursor(session, retention.CURSOR) or 0)
    page = await retention.changes_after(session, after, LOG_PAGE)
    settled = list(takewhile(lambda change: change.recorded_at < now - SETTLE, page))
    if not settled:
        return False
    latest = await retention.latest_changes(session, {change.lead_id for change in settled})
    closures = {lead: closed_at(status, moment) for lead, (status, moment) in latest.items()}
    await retention.keep_closures(session, closures)
    await cursors.save_cursor(session, retention.CURSOR, str(settled[-1].id), now)
    return len(settled) == LOG_PAGE


def _sources(mappings: Iterable[LeadMapping]) -> list[tuple[str, Path]]:
    return [
        (mapped.name, source.path)
        for mapping in mappings
        for mapped in mapping.fields
        for source in mapped.sources
    ]


async def purge_command(
    settings: Settings, *, dry_run: bool, actor: str, progress: Progress | None = None
) -> PurgeReport:
    """`leadbridge privacy purge`: the configured database, migrated, purged once."""
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        purge = Purge.for_settings(db, settings, actor=actor)
        return await purge.dry_run() if dry_run else await purge.run(progress)
    finally:
        await db.dispose()
