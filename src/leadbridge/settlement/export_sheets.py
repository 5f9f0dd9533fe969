"""The layout of the settlement XLSX: its sheets, columns and formats, and the two small sheets
written once the lines are through (Сводка, Расхождения). The lines themselves are streamed by
`export.XlsxExport`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from leadbridge.domain.periods import Week
from leadbridge.domain.settlement import Diff
from leadbridge.domain.settlement_quarantine import QUARANTINED, QuarantinedLine
from leadbridge.settlement import export_labels as labels
from leadbridge.settlement.xlsx_book import Book, Column, Sheet, excel_day, excel_moment

SUMMARY, LINES, EXCEPTIONS = "Сводка", "Строки", "Расхождения"
RUBLES = '#,##0.00 "₽"'
MOMENT = "dd.mm.yyyy hh:mm:ss"
DAY = "dd.mm.yyyy"
COUNT = "#,##0"
MONEY_WIDTH = 18  # "999 999 999,99 ₽" and a margin: a week's total fits, never `########`

LINE_COLUMNS = (
    Column("Строка", 22),
    Column("Тип", 16),  # «корректировка»
    Column("Заявка Авито", 14),
    Column("Категория", 11),
    Column("Момент (МСК)", 21, MOMENT),
    Column("Цена выкупа, ₽", MONEY_WIDTH, RUBLES),
    Column("Комиссия, ₽", MONEY_WIDTH, RUBLES),
    Column("Правило", 30),
)
MOMENT_COLUMN, RULE_COLUMN = 4, 7
EXCEPTION_COLUMNS = (
    Column("Класс", 20),
    Column("Строка", 22),
    Column("Заявка Авито", 14),
    Column("Тип", 16),  # «корректировка»
    Column("У нас, ₽", MONEY_WIDTH, RUBLES),
    Column("У Авито, ₽", MONEY_WIDTH, RUBLES),
    Column("Разница, ₽", MONEY_WIDTH, RUBLES),
    Column("Причина", 30),
)
SUMMARY_COLUMNS = (Column("", 34), Column("", 26))


def period_text(week: Week) -> str:
    """The week as an accountant writes a period: both days included, «24.11.2026 – 30.11.2026»."""
    return f"{labels.day_text(week.monday)} – {labels.day_text(last_day(week))}"


def last_day(week: Week) -> date:
    return week.next_monday - timedelta(days=1)


def write_exceptions(book: Book, diff: Diff | None, quarantined: Sequence[QuarantinedLine]) -> None:
    """The diff's discrepancies, then Avito's lines that could not be read (no amount: what
    Avito wrote could not be read as one), each with its reason."""
    sheet = book.sheet(EXCEPTIONS, EXCEPTION_COLUMNS)
    sheet.header()
    row = 1
    for item in diff.discrepancies if diff else []:
        gap = (item.our_kopecks or 0) - (item.avito_kopecks or 0)
        _texts(sheet, row, (labels.outcome(item.outcome), item.key, item.avito_lead_id, item.kind))
        for col, kopecks in ((4, item.our_kopecks), (5, item.avito_kopecks), (6, gap)):
            if kopecks is not None:
                sheet.number(row, col, kopecks / 100)
        row += 1
    for line in quarantined:
        _texts(sheet, row, (labels.outcome(QUARANTINED), line.key, line.avito_lead_id, line.kind))
        sheet.text(row, 7, line.reason)
        sheet.fit(7, line.reason)
        row += 1
    sheet.autofilter(row - 1)


def _texts(sheet: Sheet, row: int, texts: tuple[str, str, str, str]) -> None:
    outcome, key, lead, kind = texts
    for col, text in enumerate((outcome, key, lead, labels.kind(kind))):
        sheet.text(row, col, text)
        sheet.fit(col, text)


def write_summary(
    sheet: Sheet,
    week: Week,
    counts: tuple[int, int, Mapping[str, int]],
    diff: Diff | None,
    *,
    frozen: datetime | None,
    unreadable: int,
) -> None:
    """Label and value a row; `counts` is (lines, total kopecks, kopecks by kind); `frozen` is
    the Moscow wall-clock moment the week was frozen, if it was."""
    lines, total, by_kind = counts
    rows: list[tuple[str, str | float, str | None]] = [
        ("Неделя", week.name, None),
        ("Период (МСК)", period_text(week), None),
        ("С (МСК)", excel_day(week.monday), DAY),
        ("По (МСК, включительно)", excel_day(last_day(week)), DAY),
        ("Заморожена (МСК)", "нет" if frozen is None else excel_moment(frozen), MOMENT),
        ("Строк", lines, COUNT),
    ]
    rows += [
        (f"Сумма: {labels.kind(kind)}", by_kind[kind] / 100, RUBLES) for kind in sorted(by_kind)
    ]
    rows.append(("Итого", total / 100, RUBLES))
    if diff is not None:
        rows.append(("Совпало с Авито", diff.matched, COUNT))
        rows.append(("Расхождений", len(diff.discrepancies) + unreadable, COUNT))
        rows.append(("Из них строк Авито не распознано", unreadable, COUNT))
    for row, (label, value, number_format) in enumerate(rows):
        sheet.text(row, 0, label)
        if isinstance(value, str):
            sheet.text(row, 1, value)
        else:
            sheet.typed(row, 1, value, number_format or "General")
