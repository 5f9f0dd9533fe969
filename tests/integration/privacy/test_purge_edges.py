"""What the purge meets besides the usual: payloads the database cannot take apart, a seller's
edits, deals closed before the migration, and the command line."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select, text, update
from tests.integration.privacy.sellers import LOST, NOW, WON, WORKING, YEAR, add_seller, purge
from typer.testing import CliRunner

from leadbridge.cli import app as cli
from leadbridge.domain.retention import REDACTED_BODY, REDACTED_NOTE
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import InboxEvent, Lead, SellerChange
from leadbridge.store.tables.privacy import LeadClosure

pytestmark = pytest.mark.anyio


async def test_payloads_the_database_cannot_take_apart_go_row_by_row(db: Database) -> None:
    odd = await add_seller(db, "odd", phone="+79990000011", changes=[(LOST, NOW - 4 * YEAR)])
    plain = await add_seller(db, "plain", phone="+79990000012", changes=[(WON, NOW - 4 * YEAR)])
    async with db.transaction() as session:
        await session.execute(
            update(InboxEvent).where(InboxEvent.event_key == "lead:odd").values(body="{not json")
        )
        raw = {"id": "odd", "device": ["iPhone"], "seller": {"phone": "+79990000011"}}
        await session.execute(update(Lead).where(Lead.id == odd).values(raw_payload=raw))

    report = await purge(db).run()

    async with db.transaction() as session:
        bodies = dict((await session.execute(select(InboxEvent.event_key, InboxEvent.body))).all())
        rows = await session.execute(select(Lead.id, Lead.raw_payload))
        payloads: dict[int, Any] = dict(rows.all())
    assert (report.counts.leads, report.counts.events) == (2, 2)
    assert bodies["lead:odd"] == REDACTED_BODY
    assert json.loads(bodies["lead:plain"])["seller"] is None
    assert payloads[odd] == {"id": "odd", "device": ["iPhone"], "seller": None}
    assert payloads[plain]["seller"] is None


async def test_a_sellers_edits_lose_their_notes_and_raw_events(db: Database) -> None:
    lead = await add_seller(db, "edited", phone="+79990000013", changes=[(LOST, NOW - 4 * YEAR)])
    async with db.transaction() as session:
        session.add(
            SellerChange(
                lead_id=lead, change_key="lead-change:edited:1", kind="updated",
                changed_at=NOW - 5 * YEAR, recorded_at=NOW - 5 * YEAR,
                note_text="телефон: +79990000013 → +79990000014", skipped_statuses=0,
            )
        )  # fmt: skip
        session.add(
            InboxEvent(
                source="avito", event_key="lead-change:edited:1", channel="webhook",
                body='{"phone": "+79990000014"}', received_at=NOW, attempts=0,
            )
        )  # fmt: skip

    report = await purge(db).run()

    async with db.transaction() as session:
        note = await session.scalar(select(SellerChange.note_text))
        body = await session.scalar(
            select(InboxEvent.body).where(InboxEvent.event_key == "lead-change:edited:1")
        )
    assert (report.counts.leads, report.counts.events) == (1, 2)
    assert (note, body) == (REDACTED_NOTE, REDACTED_BODY)


async def test_deals_closed_before_the_migration_are_found_by_its_backfill(
    database_url: str,
) -> None:
    upgrade(database_url, "0019")
    db = Database(database_url)
    try:
        closed = await add_seller(db, "closed", phone="+7999000021", changes=[(WON, NOW - YEAR)])
        reopened = [(LOST, NOW - 3 * YEAR), (WORKING, NOW - 2 * YEAR)]
        await add_seller(db, "reopened", phone="+7999000022", changes=reopened)
        await asyncio.to_thread(upgrade, database_url)
        async with db.transaction() as session:
            kept = (await session.execute(select(LeadClosure.lead_id, LeadClosure.closed_at))).all()
            cursor = await session.scalar(
                text("SELECT value FROM cursors WHERE name = 'privacy_status_log'")
            )
    finally:
        await db.dispose()
    assert [(lead, moment and moment.date()) for lead, moment in kept] == [
        (closed, (NOW - YEAR).date())
    ]
    assert cursor == "3"  # the log's last id: a run reads only what follows


def test_the_command_counts_dry_and_then_anonymizes(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(database_url)

    async def seeded() -> None:
        db = Database(database_url)
        try:
            await add_seller(db, "cli", phone="+79990000031", changes=[(LOST, NOW - 4 * YEAR)])
        finally:
            await db.dispose()

    asyncio.run(seeded())
    monkeypatch.setenv("LEADBRIDGE_DATABASE_URL", database_url)
    runner = CliRunner()
    dry = runner.invoke(cli, ["privacy", "purge", "--dry-run"])
    done = runner.invoke(cli, ["privacy", "purge"])
    again = runner.invoke(cli, ["privacy", "purge"])

    assert dry.exit_code == done.exit_code == again.exit_code == 0, done.output
    # (The log's own line, if the logs go to stdout, comes before the command's.)
    said = [result.stdout.splitlines()[-1] for result in (dry, done, again)]
    assert said[0].startswith("would anonymize 1 deals closed before ")
    assert said[1].startswith("anonymized 1 deals closed before ")
    assert said[1].endswith(
        ": 1 inbox events redacted, 1 phones dropped from the contact index (audit: privacy run 1)"
    )
    assert "anonymized 1 of 1" in done.stderr
    assert said[2].startswith("anonymized 0 deals")
