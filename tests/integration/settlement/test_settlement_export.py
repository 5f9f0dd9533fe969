"""The exports, opened back: XLSX cell by cell with openpyxl, the CSV with the csv module."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from tests.integration.settlement.world import START, world
from tests.support.xlsx import column_widths

pytestmark = pytest.mark.anyio
RUBLES = '#,##0.00 "₽"'


def _shown(cell: Cell) -> str:
    """Roughly what Excel shows in the cell: an amount with its thousands and ruble sign."""
    if isinstance(cell.value, int | float) and cell.number_format == RUBLES:
        return f"{cell.value:,.2f} ₽"
    if isinstance(cell.value, datetime):
        return "04.05.2026 12:00:00"
    return str(cell.value)


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
    assert book.sheetnames == ["Сводка", "Строки", "Расхождения"]
    lines = book["Строки"]
    assert lines.freeze_panes == "A2"
    assert lines.auto_filter.ref == "A1:H3"  # the lines, not the totals row
    rows = [[cell.value for cell in row] for row in lines.iter_rows()]
    assert rows[0] == [
        "Строка",
        "Тип",
        "Заявка Авито",
        "Категория",
        "Момент (МСК)",
        "Цена выкупа, ₽",
        "Комиссия, ₽",
        "Правило",
    ]
    assert rows[1][:4] == ["e-1:commission", "комиссия", "e-1", "телефон"]
    assert rows[1][4] == datetime(2026, 5, 4, 12, 0)  # 09:00 UTC shown in Moscow time
    assert [rub(rows[1][5]), rub(rows[1][6])] == [Decimal("12345.00"), Decimal("617.25")]
    assert rows[1][7] == "5 % с 01.01.2000, не меньше 300 ₽, не больше 5\u202f000 ₽"
    assert [rows[2][0], rows[2][1], rub(rows[2][6])] == ["e-1:storno", "сторно", Decimal("-617.25")]
    assert [rows[3][0], rub(rows[3][6])] == ["Итого", Decimal("0.00")]
    # Amounts are numbers in a ruble format, moments real dates shown dd.mm.yyyy.
    money = ("F2", "F3", "G2", "G3", "G4")  # G4: the total
    assert {lines[ref].number_format for ref in money} == {RUBLES}
    assert lines["E2"].is_date
    assert lines["E2"].number_format == "dd.mm.yyyy hh:mm:ss"
    # Every column is wider than its title and than what it holds: no `########` in Excel.
    widths = column_widths(lines)
    assert sorted(widths) == list("ABCDEFGH")
    for col, width in widths.items():
        longest = max(len(_shown(cell)) for cell in lines[col] if cell.value is not None)
        assert width >= longest + 1, (col, width, longest)

    exceptions = book["Расхождения"]
    assert exceptions.freeze_panes == "A2"
    assert exceptions.auto_filter.ref == "A1:H2"
    found = [[cell.value for cell in row] for row in exceptions.iter_rows()]
    assert found[1][:4] == ["Только у Авито", "x-1:commission", "x-1", "комиссия"]
    assert found[1][4] is None
    assert [rub(found[1][5]), rub(found[1][6])] == [Decimal("300.00"), Decimal("-300.00")]
    assert exceptions["G2"].number_format == RUBLES
    assert len(found) == 2

    summary = {row[0].value: row[1] for row in book["Сводка"].iter_rows()}
    assert summary["Неделя"].value == "2026-W19"
    assert summary["Период (МСК)"].value == "04.05.2026 – 10.05.2026"  # the Sunday included
    assert summary["С (МСК)"].value == datetime(2026, 5, 4)
    assert summary["По (МСК, включительно)"].value == datetime(2026, 5, 10)
    assert summary["С (МСК)"].is_date
    assert summary["По (МСК, включительно)"].number_format == "dd.mm.yyyy"
    assert summary["Заморожена (МСК)"].value == "нет"
    assert summary["Строк"].value == 2
    assert rub(summary["Сумма: комиссия"].value) == Decimal("617.25")
    assert rub(summary["Сумма: сторно"].value) == Decimal("-617.25")
    assert rub(summary["Итого"].value) == Decimal("0.00")
    assert summary["Итого"].number_format == RUBLES
    assert [summary["Совпало с Авито"].value, summary["Расхождений"].value] == [2, 1]
    assert column_widths(book["Сводка"])["A"] >= len("Из них строк Авито не распознано")

    raw = (tmp_path / "settlement-2026-W19.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert table[0][0] == "Строка"
    assert table[1][:7] == [
        "e-1:commission",
        "комиссия",
        "e-1",
        "телефон",
        "2026-05-04 12:00:00",
        "12345,00",
        "617,25",
    ]
    assert [table[2][0], table[2][6]] == ["e-1:storno", "-617,25"]
    assert len(table) == 3
