"""A thin typed layer over XlsxWriter in constant-memory mode, as the settlement export uses it.

Why XlsxWriter: it measured faster than openpyxl (with or without lxml) on the settlement's rows
(`bench.export_writers`, docs/benchmarks.md), and in constant-memory mode each sheet streams row
by row to its own temporary file, so a week of a million lines holds one row in memory.

What constant-memory mode asks of us: rows of a sheet are written in order, and a cell takes its
column's number format only if that format was set before the row was written; so the columns
(format and a first width) are set when the sheet is created, and the widths are widened at the
end, once the longest text is known (Excel shows `########` in a column too narrow for a number).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]  # ships no type information

EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system, as dates after 1900
ONE_DAY = timedelta(days=1)
WIDEST = 80  # characters: a longer text wraps visually instead of widening the column further
MAX_ROWS = 1_048_576  # Excel's hard limit a sheet


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: int  # characters: the least the column shows, whatever its texts
    number_format: str | None = None


def excel_moment(naive: datetime) -> float:
    """A wall-clock moment as Excel's serial number of days (what a formatted date cell holds)."""
    return (naive - EXCEL_EPOCH) / ONE_DAY


def excel_day(day: date) -> int:
    return (day - EXCEL_EPOCH.date()).days


class Sheet:
    """One worksheet: typed writes, a header, and widths that grow to fit the longest text."""

    def __init__(self, book: Book, raw: Any, columns: Sequence[Column]) -> None:
        self._book, self._raw, self._columns = book, raw, columns
        self.widths = [max(column.width, len(column.title) + 2) for column in columns]
        # Bound once: the export calls these a few million times.
        self.text: Callable[[int, int, str], object] = raw.write_string
        self.number: Callable[[int, int, float], object] = raw.write_number
        self._set_columns()

    def header(self) -> None:
        """The titles in row 1, bold, frozen above the rows that scroll."""
        bold = self._book.style(None, bold=True)
        for number, column in enumerate(self._columns):
            self._raw.write_string(0, number, column.title, bold)
        self._raw.freeze_panes(1, 0)

    def typed(self, row: int, col: int, value: float, number_format: str) -> None:
        """A number with its own format, for a cell whose column has none (the summary)."""
        self._raw.write_number(row, col, value, self._book.style(number_format))

    def fit(self, col: int, text: str) -> None:
        self.widths[col] = max(self.widths[col], len(text) + 2)

    def autofilter(self, last_row: int) -> None:
        self._raw.autofilter(0, 0, last_row, len(self._columns) - 1)

    def finish(self) -> None:
        self._set_columns()

    def _set_columns(self) -> None:
        for number, column in enumerate(self._columns):
            style = self._book.style(column.number_format) if column.number_format else None
            self._raw.set_column(number, number, min(self.widths[number], WIDEST), style)


class Book:
    def __init__(self, path: Path) -> None:
        self._raw = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        self._styles: dict[tuple[str | None, bool], Any] = {}
        self._sheets: list[Sheet] = []

    def sheet(self, name: str, columns: Sequence[Column]) -> Sheet:
        sheet = Sheet(self, self._raw.add_worksheet(name), columns)
        self._sheets.append(sheet)
        return sheet

    def style(self, number_format: str | None, *, bold: bool = False) -> Any:
        """One format object per distinct style: XlsxWriter writes one style record each."""
        key = (number_format, bold)
        if key not in self._styles:
            properties: dict[str, Any] = {"bold": bold}
            if number_format is not None:
                properties["num_format"] = number_format
            self._styles[key] = self._raw.add_format(properties)
        return self._styles[key]

    def close(self) -> None:
        for sheet in self._sheets:
            sheet.finish()
        self._raw.close()
