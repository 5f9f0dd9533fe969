"""Reading back what an XLSX shows, beyond its cell values."""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet


def column_widths(sheet: Worksheet) -> dict[str, float]:
    """Each column's width, the columns of one `<col min max>` range (equal neighbours are written
    as one) each by its letter."""
    return {
        get_column_letter(number): dimension.width
        for dimension in sheet.column_dimensions.values()
        for number in range(dimension.min or 1, (dimension.max or dimension.min or 1) + 1)
    }
