"""Avito contract drift in the store, on both databases: one row per (kind, name) counted under
concurrent writers, the newest first, and the Avito events waiting in quarantine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest
from sqlalchemy import update

from leadbridge.store import contract_drift, inbox
from leadbridge.store.contract_drift import DriftRow
from leadbridge.store.database import Database
from leadbridge.store.tables import InboxEvent

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def _record(db: Database, kind: str, name: str, sample: str, now: datetime) -> bool:
    async with db.transaction() as session:
        return await contract_drift.record(session, kind, name, sample, now)


async def test_a_drift_is_one_row_counted_with_its_first_sample(db: Database) -> None:
    assert await _record(db, "unknown_field", "lead.sellerPhone2", "first", NOW)
    later = NOW + timedelta(minutes=5)
    assert not await _record(db, "unknown_field", "lead.sellerPhone2", "second", later)
    assert not await _record(db, "unknown_field", "lead.sellerPhone2", "third", NOW)  # late clock
    assert await _record(db, "unknown_status", "lead.sellerPhone2", "other kind", NOW)

    async with db.transaction() as session:
        rows = await contract_drift.listing(session)
    assert rows[0] == DriftRow(
        kind="unknown_field",
        name="lead.sellerPhone2",
        first_seen_at=NOW,
        last_seen_at=later,  # never moved back by a writer whose clock read came first
        seen=3,
        sample="first",
    )
    assert [(row.kind, row.seen) for row in rows[1:]] == [("unknown_status", 1)]


async def test_the_listing_shows_the_most_recently_seen_first(db: Database) -> None:
    for minutes, name in [(1, "b"), (3, "a"), (2, "c")]:
        await _record(db, "unknown_enum_value", name, "{}", NOW + timedelta(minutes=minutes))
    async with db.transaction() as session:
        assert [row.name for row in await contract_drift.listing(session)] == ["a", "c", "b"]
        assert [row.name for row in await contract_drift.listing(session, limit=1)] == ["a"]


async def test_a_name_no_column_would_take_is_cleaned_and_cut(db: Database) -> None:
    assert await _record(db, "unknown_field", "x\x00" + "y" * 1000, "{}", NOW)
    async with db.transaction() as session:
        (row,) = await contract_drift.listing(session)
    assert row.name == "x\ufffd" + "y" * 254


async def test_concurrent_writers_count_every_sighting_and_one_is_told_it_is_new(
    db: Database,
) -> None:
    # Separate engines, like separate worker processes: on PostgreSQL both inserts race for the
    # same key, and ON CONFLICT makes the loser update the winner's row instead of failing.
    workers = [Database(db.url) for _ in range(4)]
    told_new: list[bool] = []

    async def sight(worker: Database) -> None:
        for _ in range(5):
            told_new.append(await _record(worker, "endpoint_gone", "GET /x", "{}", NOW))

    try:
        async with anyio.create_task_group() as group:
            for worker in workers:
                group.start_soon(sight, worker)
    finally:
        for worker in workers:
            await worker.dispose()

    assert told_new.count(True) == 1
    async with db.transaction() as session:
        (row,) = await contract_drift.listing(session)
    assert row.seen == 20


async def test_only_avito_events_in_quarantine_not_yet_replayed_are_counted(db: Database) -> None:
    async with db.transaction() as session:
        ids = {}
        for key, source, reason in [
            ("held", "avito", "unknown field"),
            ("replayed", "avito", "unknown field"),
            ("amo", "amocrm", "bad deal id"),
            ("fine", "avito", None),
        ]:
            ids[key] = await inbox.add_if_new(
                session,
                source=source,
                event_key=key,
                channel="webhook",
                body="{}",
                now=NOW,
                quarantine_reason=reason,
            )
        await session.execute(
            update(InboxEvent).where(InboxEvent.id == ids["replayed"]).values(replayed_at=NOW)
        )
    async with db.transaction() as session:
        assert await contract_drift.quarantined_avito(session) == 1
