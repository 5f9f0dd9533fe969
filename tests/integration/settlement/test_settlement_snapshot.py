"""A settlement reads its week in a snapshot: it writes nothing there, and on SQLite it holds no
write lock, so the flows go on committing while a week of a million lines is read."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from tests.integration.settlement.world import NOW, RULES, START, WEEK, world

from leadbridge.domain.periods import Week
from leadbridge.settlement.amocrm_prices import AmoPrices
from leadbridge.settlement.lines import Line, LineMaker
from leadbridge.settlement.service import SettleRequest, settle_week
from leadbridge.store.database import Database

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class WritingMidway(LineMaker):
    """Another writer commits while each line is read, as the flows would during a long read."""

    database: Path = Path()
    committed: list[bool] = field(default_factory=list)

    async def stored_or_computed(self, session: AsyncSession, week: Week) -> AsyncIterator[Line]:
        async for line in super().stored_or_computed(session, week):
            self.committed.append(_commit_elsewhere(self.database, len(self.committed)))
            yield line


def _commit_elsewhere(database: Path, number: int) -> bool:
    """Whether a writer of its own connection commits within a second."""
    connection = sqlite3.connect(database, timeout=1.0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(f"CREATE TABLE probe_{number} (x INTEGER)")
        connection.execute("COMMIT")
        return True
    except sqlite3.OperationalError:  # database is locked
        return False
    finally:
        connection.close()


async def test_a_settlement_on_sqlite_lets_writers_commit_while_it_reads(tmp_path: Path) -> None:
    path = tmp_path / "settle.db"
    async with world(f"sqlite:///{path}") as w:
        await w.buyout("e-1", 12_345, START)
        await w.buyout("e-2", 10_000, START + timedelta(hours=2))
        maker = WritingMidway(RULES, "bought_out", "returned", AmoPrices(w.api), database=path)
        result = await settle_week(w.db, maker, SettleRequest(WEEK, NOW), w.settlement)

    assert result.tally.lines == 2
    assert maker.committed == [True, True]


async def test_nothing_can_be_written_in_a_snapshot(db: Database) -> None:
    with pytest.raises(DBAPIError):
        async with db.snapshot() as session:
            await session.execute(text("CREATE TABLE written_in_a_snapshot (x INTEGER)"))
    async with db.snapshot() as session:
        assert await session.scalar(text("SELECT 1")) == 1
