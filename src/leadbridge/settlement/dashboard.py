"""The settlement as the dashboard shows and drives it: the weeks, one week's lines and diff, the
same check and freeze as `leadbridge settle` (through `settle_week`), and its exports, which
carry the week's last stored check instead of asking Avito again.

The dashboard prices lines from our outbox, never from amoCRM: a page or a button must not spend
the CRM's request budget, so `leadbridge settle --amocrm-prices` stays the way to reprice a week.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from leadbridge.avito.client import AvitoClient
from leadbridge.config import Settings
from leadbridge.domain.commission import RuleError
from leadbridge.domain.periods import Week
from leadbridge.domain.settlement import ADJUSTMENT, Diff, Discrepancy, Line
from leadbridge.domain.settlement_quarantine import QUARANTINED, QuarantinedLine
from leadbridge.settlement.export import CsvExport, Tally, export_paths
from leadbridge.settlement.lines import LineMaker
from leadbridge.settlement.service import SettlementRefused, SettleRequest, settle_week
from leadbridge.settlement.xlsx_aside import XlsxExportAside
from leadbridge.store import settlement as store
from leadbridge.store.database import Database
from leadbridge.store.tables import SettlementException, SettlementPeriod

WEEKS_SHOWN = 26


class WeekActionRefused(ValueError):
    """A check or freeze that cannot be done now; the message says why, for the page."""


@dataclass(frozen=True, slots=True)
class WeekRow:
    week: Week
    period: SettlementPeriod | None  # None: never frozen nor checked

    @property
    def frozen(self) -> bool:
        return self.period is not None and self.period.frozen_at is not None


@dataclass
class WeekView:
    week: Week
    period: SettlementPeriod | None
    tally: Tally = field(default_factory=Tally)
    lines: list[Line] = field(default_factory=list)  # the first `shown`
    adjustments: list[Line] = field(default_factory=list)
    exceptions: Sequence[SettlementException] = ()


def maker_for(settings: Settings) -> LineMaker:
    funnel = settings.funnel
    return LineMaker(
        settings.settlement.rule_book(), funnel.commission_status, funnel.statuses.returned
    )


async def weeks(db: Database, now: datetime) -> list[WeekRow]:
    """The stored weeks, plus the current and the last finished week even before they are."""
    async with db.transaction() as session:
        rows = await store.periods(session, WEEKS_SHOWN)
    stored: dict[Week, SettlementPeriod | None] = {Week.parse(row.week): row for row in rows}
    current = Week.of(now)
    for week in (current, current.previous()):
        stored.setdefault(week, None)
    return [WeekRow(week, stored[week]) for week in sorted(stored, reverse=True)]


async def week_view(db: Database, maker: LineMaker, week: Week, shown: int) -> WeekView:
    async with db.snapshot() as session:  # a long read holds no write lock
        view = WeekView(week, await store.period(session, week))
        async for line in maker.stored_or_computed(session, week):
            view.tally.add(line)
            if line.kind == ADJUSTMENT:
                view.adjustments.append(line)
            elif len(view.lines) < shown:
                view.lines.append(line)
        view.exceptions = await store.exceptions(session, week)
    return view


async def check(db: Database, maker: LineMaker, settings: Settings, request: SettleRequest) -> None:
    """Fetch Avito's settlement of the week and keep the diff, as `settle --diff` does; lines
    of Avito's that cannot be read are kept in the diff as quarantined, not refused."""
    avito = AvitoClient(settings.avito)
    try:
        await settle_week(db, maker, request, avito)
    except httpx.HTTPError as error:
        raise WeekActionRefused(f"Авито не ответил как ожидалось: {error}") from error
    finally:
        await avito.aclose()


async def freeze(db: Database, maker: LineMaker, request: SettleRequest) -> None:
    try:
        await settle_week(db, maker, request, None)
    except (SettlementRefused, RuleError) as refused:
        raise WeekActionRefused(str(refused)) from refused


async def export(db: Database, maker: LineMaker, week: Week, to: Path) -> Path:
    """Write the week's XLSX and CSV into `to`, with the last check's diff, without asking Avito
    again; returns the XLSX, the CSV lies beside it."""
    xlsx_path, csv_path = export_paths(to, week)
    xlsx, csv_file, tally = XlsxExportAside(xlsx_path), CsvExport(csv_path), Tally()
    try:
        async with db.snapshot() as session:  # a long read holds no write lock
            period = await store.period(session, week)
            async for line in maker.stored_or_computed(session, week):
                tally.add(line)
                xlsx.add(line)
                csv_file.add(line)
            found = await store.exceptions(session, week)
        frozen_at = period.frozen_at if period else None
        diff, quarantined = stored_check(period, found)
        # The writer closes the book meanwhile: waited for in a thread, not in the event loop.
        await asyncio.to_thread(xlsx.finish, week, tally, diff, frozen_at, quarantined)
    finally:
        csv_file.finish()
        xlsx.close()
    return xlsx_path


def stored_check(
    period: SettlementPeriod | None, found: Sequence[SettlementException]
) -> tuple[Diff | None, list[QuarantinedLine]]:
    """The last check against Avito as it was stored: its diff (None if the week was never
    checked) and Avito's lines it could not read."""
    if period is None or period.checked_at is None:
        return None, []
    items = [
        Discrepancy(
            item.outcome,
            item.line_key,
            item.avito_lead_id,
            item.kind,
            item.our_kopecks,
            item.avito_kopecks,
        )
        for item in found
        if item.outcome != QUARANTINED
    ]
    quarantined = [
        QuarantinedLine(item.line_key, item.avito_lead_id, item.kind, item.reason or "")
        for item in found
        if item.outcome == QUARANTINED
    ]
    return Diff(matched=period.matched or 0, discrepancies=items), quarantined
