"""The XLSX written by a process of its own is the same book, cell for cell, as the one written
in this process; a writer that dies is an error at `finish`, and an export given up leaves no
writer behind."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from leadbridge.domain.periods import Week
from leadbridge.domain.settlement import Line
from leadbridge.settlement import xlsx_aside
from leadbridge.settlement.export import Tally, XlsxExport
from leadbridge.settlement.xlsx_aside import XlsxExportAside, XlsxExportFailed

WEEK = Week.parse("2026-W48")


def _lines(count: int) -> list[Line]:
    return [
        Line(
            f"b-{number}:commission",
            "commission" if number % 7 else "storno",
            f"b-{number}",
            datetime(2026, 11, 24, 9, number % 60, tzinfo=UTC),
            "phone" if number % 3 else "tablet",
            1_000_000 + number,
            30_000 if number % 7 else -30_000,
            "",
        )
        for number in range(count)
    ]


def _cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(path)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_the_book_written_aside_is_the_book_written_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_aside, "BATCH", 7)  # several batches and a last short one
    here, aside, tally = (
        XlsxExport(tmp_path / "here.xlsx", 40),
        XlsxExportAside(tmp_path / "aside.xlsx", 40),
        Tally(),
    )
    for line in _lines(100):
        here.add(line)
        aside.add(line)
        tally.add(line)
    here.finish(WEEK, tally, None, None)
    aside.finish(WEEK, tally, None, None)
    aside.close()

    written = _cells(tmp_path / "aside.xlsx")
    assert written == _cells(tmp_path / "here.xlsx")
    assert written["Строки 3"][-1][0] == "Итого"  # 100 lines over sheets of 39


def test_a_writer_that_dies_fails_the_export(tmp_path: Path) -> None:
    aside = XlsxExportAside(tmp_path / "w.xlsx")
    aside._writer.kill()
    aside._writer.join()
    for line in _lines(3):
        aside.add(line)
    with pytest.raises(XlsxExportFailed):
        aside.finish(WEEK, Tally(), None, None)
    aside.close()
    assert not (tmp_path / "w.xlsx").exists()


def test_an_export_given_up_stops_its_writer_and_leaves_no_book(tmp_path: Path) -> None:
    aside = XlsxExportAside(tmp_path / "w.xlsx")
    for line in _lines(3):
        aside.add(line)
    aside.close()
    assert not aside._writer.is_alive()
    assert aside._writer.exitcode == 0
    assert not (tmp_path / "w.xlsx").exists()
