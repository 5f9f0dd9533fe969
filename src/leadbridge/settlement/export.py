"""Exports of a settled week: XLSX (XlsxWriter, streamed row by row) and CSV for Excel.

Money is stored as integer kopecks and shown in rubles. The XLSX is what an accountant opens:
Russian sheets, headers and words (kinds, device categories, outcomes, rules), amounts as numbers
with a ruble format, moments as real Excel dates in Moscow time (Excel has no time zones) shown
dd.mm.yyyy, the period with its inclusive last day, columns wide enough for what they hold, and
on the Строки and Расхождения sheets a frozen header and an autofilter. The CSV is UTF-8 with a
BOM and `;` between fields, with a decimal comma: what Excel in a Russian locale opens without a
wizard. Both are written line by line as the lines stream from the database: memory does not
grow with the week.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from leadbridge.domain.periods import MOSCOW, Week
from leadbridge.domain.settlement import Diff, Line
from leadbridge.domain.settlement_quarantine import QuarantinedLine
from leadbridge.settlement import export_labels as labels
from leadbridge.settlement.export_sheets import (
    LINE_COLUMNS,
    LINES,
    MOMENT_COLUMN,
    RULE_COLUMN,
    SUMMARY,
    SUMMARY_COLUMNS,
    write_exceptions,
    write_summary,
)
from leadbridge.settlement.xlsx_book import MAX_ROWS, Book, Sheet, excel_moment

LINES_PER_SHEET = MAX_ROWS - 1  # header included; one row is kept for the totals
LINE_HEADER = tuple(column.title for column in LINE_COLUMNS)


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
    """Сводка first, then Строки (and Строки 2… past Excel's rows a sheet), then Расхождения;
    the summary and the exceptions are written at `finish`, when the totals are known."""

    def __init__(self, path: Path, rows_per_sheet: int = LINES_PER_SHEET) -> None:
        self.path = path
        self._rows_per_sheet = rows_per_sheet
        self._book = Book(path)
        self._summary = self._book.sheet(SUMMARY, SUMMARY_COLUMNS)  # written at `finish`
        self._rules = labels.RuleTexts()
        self._sheets: list[Sheet] = []
        self._lines = self._next_sheet()
        self._row = 1  # the next row to write, 0-based: row 0 is the header

    def _next_sheet(self) -> Sheet:
        if self._sheets:  # the filter covers the lines, not the totals row of the last sheet
            self._lines.autofilter(self._row - 1)
        name = LINES if not self._sheets else f"{LINES} {len(self._sheets) + 1}"
        sheet = self._book.sheet(name, LINE_COLUMNS)
        sheet.header()
        self._sheets.append(sheet)
        self._lines, self._row = sheet, 1
        return sheet

    def add(self, line: Line) -> None:
        # The innermost loop of a million-line export: typed writes only, no per-cell lookups.
        if self._row == self._rows_per_sheet:
            self._next_sheet()
        row, sheet = self._row, self._lines
        text, number = sheet.text, sheet.number
        text(row, 0, line.key)
        text(row, 1, labels.KINDS.get(line.kind, line.kind))
        text(row, 2, line.avito_lead_id)
        text(row, 3, labels.CATEGORIES.get(line.category, line.category))
        number(row, MOMENT_COLUMN, excel_moment(moscow(line.occurred_at)))
        number(row, 5, line.base_price_kopecks / 100)
        number(row, 6, line.amount_kopecks / 100)
        text(row, RULE_COLUMN, self._rules(line.rule))
        if len(line.key) + 2 > sheet.widths[0]:  # keys and leads are the texts that vary
            sheet.fit(0, line.key)
        if len(line.avito_lead_id) + 2 > sheet.widths[2]:
            sheet.fit(2, line.avito_lead_id)
        self._row = row + 1

    def finish(
        self,
        week: Week,
        tally: Tally,
        diff: Diff | None,
        frozen_at: datetime | None,
        quarantined: Sequence[QuarantinedLine] = (),
    ) -> None:
        last = self._lines
        last.autofilter(self._row - 1)
        last.text(self._row, 0, "Итого")
        last.number(self._row, 6, tally.total_kopecks / 100)
        last.fit(6, labels.rubles_text(tally.total_kopecks))
        for sheet in self._sheets:
            for text in self._rules.known():
                sheet.fit(RULE_COLUMN, text)
        frozen = None if frozen_at is None else moscow(frozen_at)
        write_exceptions(self._book, diff, quarantined)
        counts = (tally.lines, tally.total_kopecks, tally.by_kind)
        write_summary(self._summary, week, counts, diff, frozen=frozen, unreadable=len(quarantined))
        self._book.close()


class CsvExport:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file, delimiter=";")
        self._writer.writerow(LINE_HEADER)
        self._rules = labels.RuleTexts()

    def add(self, line: Line) -> None:
        self._writer.writerow(
            (
                line.key,
                labels.KINDS.get(line.kind, line.kind),
                line.avito_lead_id,
                labels.CATEGORIES.get(line.category, line.category),
                moscow(line.occurred_at).isoformat(sep=" "),
                csv_rubles(line.base_price_kopecks),
                csv_rubles(line.amount_kopecks),
                self._rules(line.rule),
            )
        )

    def finish(self) -> None:
        self._file.close()


def csv_rubles(kopecks: int) -> str:
    """Kopecks as rubles with a decimal comma, in integers: a Decimal per cell costs more than the
    rest of the line at a million lines."""
    whole, cents = divmod(abs(kopecks), 100)
    return f"{'-' if kopecks < 0 else ''}{whole},{cents:02d}"


def export_paths(directory: Path, week: Week) -> tuple[Path, Path]:
    stem = f"settlement-{week.name}"
    return directory / f"{stem}.xlsx", directory / f"{stem}.csv"
