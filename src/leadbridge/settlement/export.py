"""Exports of a settled week: XLSX (write-only, streamed row by row) and CSV for Excel.

Money is stored as integer kopecks and shown in rubles: kopecks / 100 as a Decimal, exact.
The XLSX cells are typed — numbers with a ruble format, moments as Moscow dates-times (Excel
has no time zones) — and the Lines and Exceptions sheets have a frozen header and an autofilter.
The CSV is UTF-8 with a BOM and `;` between fields, with a decimal comma: what Excel in a
Russian locale opens without a wizard.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO, cast

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from leadbridge.domain.periods import MOSCOW, Week
from leadbridge.domain.settlement import Diff, Line
from leadbridge.domain.settlement_quarantine import QuarantinedLine

RUBLES = '#,##0.00 "₽"'
MOMENT = "yyyy-mm-dd hh:mm:ss"
DAY = "yyyy-mm-dd"
LINES_PER_SHEET = 1_048_575  # header included; one row is kept for the totals
LINE_HEADER = (
    "Строка",
    "Тип",
    "Заявка Авито",
    "Категория",
    "Момент (МСК)",
    "Цена выкупа, ₽",
    "Комиссия, ₽",
    "Правило",
)
EXCEPTION_HEADER = (
    "Класс",
    "Строка",
    "Заявка Авито",
    "Тип",
    "У нас, ₽",
    "У Авито, ₽",
    "Разница, ₽",
    "Причина",
)
UNREADABLE = "Строка Авито не распознана"  # the class of a quarantined line of Avito's


def rubles(kopecks: int) -> Decimal:
    return Decimal(kopecks) / 100


def moscow(moment: datetime) -> datetime:
    return moment.astimezone(MOSCOW).replace(tzinfo=None)


@dataclass
class Tally:
    """Running counts and totals of the lines that streamed past, by kind."""

    lines: int = 0
    total_kopecks: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, line: Line) -> None:
        self.lines += 1
        self.total_kopecks += line.amount_kopecks
        self.by_kind[line.kind] = self.by_kind.get(line.kind, 0) + line.amount_kopecks


class XlsxExport:
    def __init__(self, path: Path, rows_per_sheet: int = LINES_PER_SHEET) -> None:
        self.path = path
        self._rows_per_sheet = rows_per_sheet
        self._book = Workbook(write_only=True)
        # Created in reading order; each write-only sheet streams to its own temporary file.
        self._summary = self._book.create_sheet("Summary")
        self._lines = self._sheet("Lines", LINE_HEADER)
        self._rows = 1
        self._sheets = 1

    def _sheet(self, title: str, header: tuple[str, ...]) -> WriteOnlyWorksheet:
        sheet: WriteOnlyWorksheet = self._book.create_sheet(title)
        sheet.freeze_panes = "A2"
        sheet.append(list(header))
        return sheet

    def _cell(self, sheet: WriteOnlyWorksheet, value: Any, number_format: str) -> Cell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell

    def add(self, line: Line) -> None:
        if self._rows == self._rows_per_sheet:
            # Excel's hard limit is 1 048 576 rows a sheet: a bigger week goes on in "Lines 2".
            _autofilter(self._lines, f"A1:H{self._rows}")
            self._sheets += 1
            self._lines = self._sheet(f"Lines {self._sheets}", LINE_HEADER)
            self._rows = 1
        sheet = self._lines
        sheet.append(
            [
                line.key,
                line.kind,
                line.avito_lead_id,
                line.category,
                self._cell(sheet, moscow(line.occurred_at), MOMENT),
                self._cell(sheet, rubles(line.base_price_kopecks), RUBLES),
                self._cell(sheet, rubles(line.amount_kopecks), RUBLES),
                line.rule,
            ]
        )
        self._rows += 1

    def finish(
        self,
        week: Week,
        tally: Tally,
        diff: Diff | None,
        frozen_at: datetime | None,
        quarantined: Sequence[QuarantinedLine] = (),
    ) -> None:
        lines = self._lines
        _autofilter(lines, f"A1:H{self._rows}")
        lines.append(
            ["Итого", None, None, None, None, None, self._money(lines, tally.total_kopecks)]
        )
        exceptions = self._sheet("Exceptions", EXCEPTION_HEADER)
        self._write_exceptions(exceptions, diff, quarantined)
        self._write_summary(week, tally, diff, frozen_at, len(quarantined))
        self._book.save(self.path)

    def _money(self, sheet: WriteOnlyWorksheet, kopecks: int | None) -> Cell | None:
        return None if kopecks is None else self._cell(sheet, rubles(kopecks), RUBLES)

    def _write_exceptions(
        self,
        sheet: WriteOnlyWorksheet,
        diff: Diff | None,
        quarantined: Sequence[QuarantinedLine],
    ) -> None:
        items = diff.discrepancies if diff else []
        for item in items:
            gap = (item.our_kopecks or 0) - (item.avito_kopecks or 0)
            sheet.append(
                [
                    item.outcome,
                    item.key,
                    item.avito_lead_id,
                    item.kind,
                    self._money(sheet, item.our_kopecks),
                    self._money(sheet, item.avito_kopecks),
                    self._money(sheet, gap),
                    None,
                ]
            )
        for line in quarantined:  # no amount: what Avito wrote could not be read as one
            sheet.append(
                [UNREADABLE, line.key, line.avito_lead_id, line.kind, None, None, None, line.reason]
            )
        _autofilter(sheet, f"A1:H{len(items) + len(quarantined) + 1}")

    def _write_summary(
        self,
        week: Week,
        tally: Tally,
        diff: Diff | None,
        frozen_at: datetime | None,
        unreadable: int,
    ) -> None:
        sheet = self._summary
        rows: list[tuple[str, Any, str | None]] = [
            ("Неделя", week.name, None),
            ("С (МСК)", week.monday, DAY),
            ("По (МСК, не включая)", week.next_monday, DAY),
            (
                "Заморожена",
                moscow(frozen_at) if frozen_at else "нет",
                MOMENT if frozen_at else None,
            ),
            ("Строк", tally.lines, None),
        ]
        for kind in sorted(tally.by_kind):
            rows.append((f"Сумма: {kind}", rubles(tally.by_kind[kind]), RUBLES))
        rows.append(("Итого", rubles(tally.total_kopecks), RUBLES))
        if diff is not None:
            rows.append(("Совпало с Авито", diff.matched, None))
            rows.append(("Расхождений", len(diff.discrepancies) + unreadable, None))
            rows.append(("Из них строк Авито не распознано", unreadable, None))
        for label, value, number_format in rows:
            shown = value if number_format is None else self._cell(sheet, value, number_format)
            sheet.append([label, shown])


class CsvExport:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file, delimiter=";")
        self._writer.writerow(LINE_HEADER)

    def add(self, line: Line) -> None:
        self._writer.writerow(
            [
                line.key,
                line.kind,
                line.avito_lead_id,
                line.category,
                moscow(line.occurred_at).isoformat(sep=" "),
                csv_rubles(line.base_price_kopecks),
                csv_rubles(line.amount_kopecks),
                line.rule,
            ]
        )

    def finish(self) -> None:
        self._file.close()


def _autofilter(sheet: WriteOnlyWorksheet, ref: str) -> None:
    # Write-only sheets have an autofilter at run time (written after the rows), but the type
    # stubs do not declare it.
    cast(Any, sheet).auto_filter.ref = ref


def csv_rubles(kopecks: int) -> str:
    return f"{rubles(kopecks):.2f}".replace(".", ",")


def export_paths(directory: Path, week: Week) -> tuple[Path, Path]:
    stem = f"settlement-{week.name}"
    return directory / f"{stem}.xlsx", directory / f"{stem}.csv"
