"""The two XLSX writers made for large files, side by side on the settlement's rows.

    uv run python -m bench.export_writers [--rows 100000]
    uv run --with lxml python -m bench.export_writers [--rows 100000]   # openpyxl with lxml

Each writer writes the same `--rows` lines of the settlement's shape (four texts, a Moscow moment,
two ruble amounts, a rule) with typed, formatted cells, in a fresh process so that its peak RSS
growth is its own. openpyxl serialises with lxml only when lxml is importable, so the second
command is the "openpyxl with lxml" candidate; the output says which one ran. The export itself
uses XlsxWriter (see docs/benchmarks.md for why).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]  # ships no type information
from openpyxl import LXML, Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell

WRITERS = ("xlsxwriter", "openpyxl")
RULE = "5% from 2000-01-01, min 0 max 100000000 kop."
START = datetime(2026, 11, 24)
EXCEL_EPOCH, ONE_DAY = datetime(1899, 12, 30), timedelta(days=1)


def rows(count: int) -> Iterator[tuple[str, str, str, str, datetime, float, float, str]]:
    for number in range(count):
        kind = "сторно" if number % 20 == 0 else "комиссия"
        category = "планшет" if number % 5 == 0 else "телефон"
        moment = START + timedelta(seconds=number % 500_000)
        price = 500_000 + (number % 997) * 10_000
        yield (f"b-{number}:commission", kind, f"b-{number}", category, moment, price / 100,
               price / 2000, RULE)  # fmt: skip


def with_xlsxwriter(path: Path, count: int) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Строки")
    moment = book.add_format({"num_format": "dd.mm.yyyy hh:mm:ss"})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet.set_column(4, 4, 19, moment)
    sheet.set_column(5, 6, 14, money)
    # Typed calls, not write_row: `write` would test every text for a number, URL or formula.
    text, number = sheet.write_string, sheet.write_number
    for at, (key, kind, lead, category, moment, price, amount, rule) in enumerate(rows(count), 1):
        text(at, 0, key)
        text(at, 1, kind)
        text(at, 2, lead)
        text(at, 3, category)
        number(at, 4, (moment - EXCEL_EPOCH) / ONE_DAY)
        number(at, 5, price)
        number(at, 6, amount)
        text(at, 7, rule)
    book.close()


def with_openpyxl(path: Path, count: int) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Строки")

    def cell(value: Any, number_format: str) -> Cell:
        typed = WriteOnlyCell(sheet, value=value)
        typed.number_format = number_format
        return typed

    for key, kind, lead, category, moment, price, amount, rule in rows(count):
        sheet.append(
            [key, kind, lead, category, cell(moment, "dd.mm.yyyy hh:mm:ss"),
             cell(price, "#,##0.00"), cell(amount, "#,##0.00"), rule]
        )  # fmt: skip
    book.save(path)


def measure_one(writer: str, count: int) -> dict[str, Any]:
    before, cpu_before = _peak_rss_mib(), _cpu_seconds()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.xlsx"
        started = time.perf_counter()
        (with_xlsxwriter if writer == "xlsxwriter" else with_openpyxl)(path, count)
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    return {
        "writer": writer + (f" (lxml: {_lxml()})" if writer == "openpyxl" else ""),
        "rows": count,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(_cpu_seconds() - cpu_before, 1),
        "rows_per_second": round(count / seconds),
        "rss_growth_mib": round(_peak_rss_mib() - before, 1),
        "file_mib": round(size / 2**20, 1),
    }


def _lxml() -> bool:
    return bool(LXML)  # openpyxl serialises with lxml whenever lxml is importable


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--writers", default=",".join(WRITERS))
    parser.add_argument("--child", metavar="WRITER")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args.child, args.rows)))
        return
    for writer in args.writers.split(","):
        command = [sys.executable, "-m", "bench.export_writers", "--child", writer]
        done = subprocess.run([*command, "--rows", str(args.rows)], capture_output=True,
                              text=True, check=True)  # fmt: skip
        print(done.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
