"""Settle one week: stream its lines once into the tally, the diff against Avito and the exports;
freeze it first when asked.

Avito's answer is kept raw and read line by line first (`avito_side.py`): a line that cannot
be read is quarantined and reported beside the diff's discrepancies, never a reason to refuse
the week. Settling a week again replaces its last diff and adds no line: it is idempotent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from leadbridge.domain.periods import MOSCOW, Week
from leadbridge.domain.settlement import Diff, Differ, Line
from leadbridge.domain.settlement_quarantine import QUARANTINED, QuarantinedLine
from leadbridge.settlement.avito_side import AvitoSettlement, avito_lines, avito_side
from leadbridge.settlement.export import CsvExport, Tally, export_paths
from leadbridge.settlement.lines import LineMaker
from leadbridge.settlement.xlsx_aside import XlsxExportAside
from leadbridge.store import settlement as store
from leadbridge.store.database import Database

PROGRESS_EVERY = 50_000


class SettlementRefused(ValueError):
    """The week cannot be settled as asked; the message says why, in one line."""


@dataclass(frozen=True)
class SettleRequest:
    week: Week
    now: datetime
    freeze: bool = False
    export_dir: Path | None = None


@dataclass
class WeekResult:
    week: Week
    frozen_at: datetime | None
    tally: Tally
    diff: Diff | None
    files: list[Path] = field(default_factory=list)
    quarantined: list[QuarantinedLine] = field(default_factory=list)  # Avito's, unreadable

    def diff_json(self) -> list[dict[str, Any]]:
        """The discrepancies and the quarantined lines: empty when Avito's week equals ours."""
        items = self.diff.discrepancies if self.diff else []
        found = [
            {
                "week": self.week.name,
                "outcome": item.outcome,
                "line": item.key,
                "ours": item.our_kopecks,
                "avito": item.avito_kopecks,
            }
            for item in items
        ]
        return found + [
            {
                "week": self.week.name,
                "outcome": QUARANTINED,
                "line": line.key,
                "ours": None,
                "avito": None,
                "reason": line.reason,
            }
            for line in self.quarantined
        ]


async def settle_week(
    db: Database,
    maker: LineMaker,
    request: SettleRequest,
    avito: AvitoSettlement | None,
    progress: Callable[[int], None] | None = None,
) -> WeekResult:
    week = request.week
    if request.freeze:
        await _freeze(db, maker, request, progress)
    reading = await avito_side(db, avito, week, request.now) if avito is not None else None
    # An answer with no lines to read is compared with nothing: our lines are not "only ours".
    checked = reading is not None
    differ = Differ(avito_lines(reading)) if reading is not None and reading.answer_read else None
    quarantined = reading.quarantined if reading is not None else []
    tally = Tally()
    xlsx, csv_file = _exports(request)
    try:
        # A snapshot: the week is read without the write lock, so on SQLite the flows go on
        # writing during a settlement of a million lines.
        async with db.snapshot() as session:
            row = await store.period(session, week)
            frozen_at = row.frozen_at if row else None
            async for line in maker.stored_or_computed(session, week):
                tally.add(line)
                for sink in (differ, xlsx, csv_file):
                    if sink is not None:
                        sink.add(line)
                if progress is not None and tally.lines % PROGRESS_EVERY == 0:
                    progress(tally.lines)
        diff = differ.finish() if differ is not None else (Diff() if checked else None)
        if diff is not None:
            async with db.transaction() as session:
                await store.record_diff(session, week, diff, request.now, quarantined)
        if xlsx is not None:
            xlsx.finish(week, tally, diff, frozen_at, quarantined)
    finally:
        if csv_file is not None:
            csv_file.finish()
        if xlsx is not None:
            xlsx.close()
    files = [sink.path for sink in (xlsx, csv_file) if sink is not None]
    return WeekResult(week, frozen_at, tally, diff, files, quarantined)


async def _freeze(
    db: Database,
    maker: LineMaker,
    request: SettleRequest,
    progress: Callable[[int], None] | None,
) -> None:
    week = request.week
    if not week.is_over(request.now):
        ends = week.ends_at.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M")
        raise SettlementRefused(f"{week} is not over until {ends} Moscow time: not frozen")
    async with db.transaction() as session:
        row = await store.period(session, week)
        if row is not None and row.frozen_at is not None:
            raise SettlementRefused(f"{week} was frozen at {row.frozen_at:%Y-%m-%d %H:%M} UTC")
        lines = _counted(maker.open_week(session, week), progress)
        await store.freeze(session, week, lines, request.now)


async def _counted(
    lines: AsyncIterator[Line], progress: Callable[[int], None] | None
) -> AsyncIterator[Line]:
    count = 0
    async for line in lines:
        yield line
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)


def _exports(request: SettleRequest) -> tuple[XlsxExportAside | None, CsvExport | None]:
    if request.export_dir is None:
        return None, None
    request.export_dir.mkdir(parents=True, exist_ok=True)
    xlsx_path, csv_path = export_paths(request.export_dir, request.week)
    return XlsxExportAside(xlsx_path), CsvExport(csv_path)
