from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook
from tests.support.xlsx import column_widths

from leadbridge.domain.periods import Week
from leadbridge.domain.settlement import Line
from leadbridge.settlement.export import Tally, XlsxExport


def test_a_week_longer_than_a_sheet_goes_on_in_the_next_lines_sheet(tmp_path: Path) -> None:
    export, tally = XlsxExport(tmp_path / "w.xlsx", rows_per_sheet=3), Tally()
    for number in range(5):
        at = datetime(2026, 11, 24, 9, number, tzinfo=UTC)
        line = Line(
            f"b-{number}:commission", "commission", f"b-{number}", at, "phone", 1, 30_000, ""
        )
        export.add(line)
        tally.add(line)
    export.finish(Week.parse("2026-W48"), tally, None, None)

    book = load_workbook(tmp_path / "w.xlsx")
    assert book.sheetnames == ["Сводка", "Строки", "Строки 2", "Строки 3", "Расхождения"]
    keys = [
        row[0]
        for name in ("Строки", "Строки 2", "Строки 3")
        for row in book[name].iter_rows(min_row=2, values_only=True)
    ]
    assert keys == [f"b-{number}:commission" for number in range(5)] + ["Итого"]
    assert book["Строки 2"].auto_filter.ref == "A1:H3"
    for name in ("Строки", "Строки 2", "Строки 3"):  # each sheet reads on its own
        assert book[name].freeze_panes == "A2"
        assert book[name]["A1"].value == "Строка"
    assert book["Строки 3"]["G3"].value == 1500  # 5 × 300 ₽ on the last sheet's totals row


def test_columns_widen_to_the_longest_key_and_rule(tmp_path: Path) -> None:
    at = datetime(2026, 11, 24, 9, tzinfo=UTC)
    long_key = "7d0c1e52-9a4f-4c1b-8f33-0b6e2f4a9d10:commission:adjustment@2026-W48"
    rule = "correction: 5% from 2000-01-01, min 30000 max 500000 kop."
    export, tally = XlsxExport(tmp_path / "w.xlsx"), Tally()
    for line in (
        Line("b-1:commission", "commission", "b-1", at, "phone", 1, 30_000, ""),
        Line(long_key, "adjustment", long_key[:36], at, "tablet", 0, -1_000_000_000, rule),
    ):
        export.add(line)
        tally.add(line)
    export.finish(Week.parse("2026-W48"), tally, None, None)

    sheet = load_workbook(tmp_path / "w.xlsx")["Строки"]
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "комиссия",
        "корректировка",
        None,  # the totals row
    ]
    width = column_widths(sheet)
    assert width["A"] >= len(long_key)
    assert width["C"] >= 36
    assert width["B"] >= len("корректировка")
    assert width["G"] >= len("-10 000 000,00 ₽")  # the total, negative, never `########`
    assert width["H"] >= len(sheet["H3"].value)
