from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

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
    assert book.sheetnames == ["Summary", "Lines", "Lines 2", "Lines 3", "Exceptions"]
    keys = [
        row[0]
        for name in ("Lines", "Lines 2", "Lines 3")
        for row in book[name].iter_rows(min_row=2, values_only=True)
    ]
    assert keys == [f"b-{number}:commission" for number in range(5)] + ["Итого"]
    assert book["Lines 2"].auto_filter.ref == "A1:H3"
    assert book["Lines 3"]["G3"].value == 1500  # 5 × 300 ₽ on the last sheet's totals row
