"""The exports, opened back: XLSX cell by cell with openpyxl, the CSV with the csv module."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.integration.settlement.world import START, world

pytestmark = pytest.mark.anyio
RUBLES = '#,##0.00 "₽"'


def rub(value: object) -> Decimal:
    # Excel keeps doubles; two decimals of a kopeck amount survive the round trip exactly.
    assert isinstance(value, int | float)
    return Decimal(str(value)).quantize(Decimal("0.01"))


async def test_xlsx_and_csv_carry_typed_exact_amounts(database_url: str, tmp_path: Path) -> None:
    async with world(database_url) as w:
        await w.buyout("e-1", 12_345, START, returned_at=START + timedelta(days=1))
        await w.avito_only("x-1", 1_000, START, ("accepted", "contacted", "price_agreed"))
        await w.avito_only(
            "x-1", 1_000, START, ("pickup_scheduled", "device_received", "bought_out")
        )
        result = await w.settle(export_dir=tmp_path)

    assert [path.name for path in result.files] == [
        "settlement-2026-W19.xlsx",
        "settlement-2026-W19.csv",
    ]
    book = load_workbook(tmp_path / "settlement-2026-W19.xlsx")
    assert book.sheetnames == ["Summary", "Lines", "Exceptions"]
    lines = book["Lines"]
    assert lines.freeze_panes == "A2"
    assert lines.auto_filter.ref == "A1:H3"
    rows = [[cell.value for cell in row] for row in lines.iter_rows()]
    assert rows[0][:3] == ["Строка", "Тип", "Заявка Авито"]
    assert rows[1][:4] == ["e-1:commission", "commission", "e-1", "phone"]
    assert rows[1][4] == datetime(2026, 5, 4, 12, 0)  # 09:00 UTC shown in Moscow time
    assert [rub(rows[1][5]), rub(rows[1][6])] == [Decimal("12345.00"), Decimal("617.25")]
    assert [rows[2][0], rub(rows[2][6])] == ["e-1:storno", Decimal("-617.25")]
    assert [rows[3][0], rub(rows[3][6])] == ["Итого", Decimal("0.00")]
    assert lines["G2"].number_format == RUBLES
    assert lines["E2"].is_date

    exceptions = [[cell.value for cell in row] for row in book["Exceptions"].iter_rows()]
    assert exceptions[1][:4] == ["only_avito", "x-1:commission", "x-1", "commission"]
    assert exceptions[1][4] is None
    assert [rub(exceptions[1][5]), rub(exceptions[1][6])] == [Decimal("300.00"), Decimal("-300.00")]
    assert len(exceptions) == 2

    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows()}
    assert summary["Неделя"].value == "2026-W19"
    assert summary["С (МСК)"].value == datetime(2026, 5, 4)
    assert summary["С (МСК)"].is_date
    assert summary["Строк"].value == 2
    assert rub(summary["Сумма: commission"].value) == Decimal("617.25")
    assert rub(summary["Итого"].value) == Decimal("0.00")
    assert summary["Итого"].number_format == RUBLES
    assert [summary["Совпало с Авито"].value, summary["Расхождений"].value] == [2, 1]

    raw = (tmp_path / "settlement-2026-W19.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert table[0][0] == "Строка"
    assert table[1][:7] == [
        "e-1:commission",
        "commission",
        "e-1",
        "phone",
        "2026-05-04 12:00:00",
        "12345,00",
        "617,25",
    ]
    assert [table[2][0], table[2][6]] == ["e-1:storno", "-617,25"]
    assert len(table) == 3
