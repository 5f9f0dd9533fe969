"""Server-drawn charts: horizontal bars as inline SVG, no script and nothing fetched from elsewhere.

Values are Decimal or int (money in kopecks stays integer); only the bar's pixel width is
rounded. Labels are escaped: device models and loss reasons come from outside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

ROW = 22
LABEL_WIDTH = 220
BAR_WIDTH = 360
VALUE_WIDTH = 110
COLOURS = ("#4a90d9", "#e0a33a", "#5bb974", "#d9534f")


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: Decimal | int
    shown: str  # the value as the table shows it
    series: int = 0  # picks the colour: two series side by side (paid / asked)


def bar_chart(bars: Sequence[Bar], title: str) -> Markup:
    """One bar per row, scaled to the largest value; negative values draw as empty bars."""
    height = max(len(bars), 1) * ROW + 4
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    top = max((Decimal(bar.value) for bar in bars), default=Decimal(0))
    rows = [_row(index, bar, top) for index, bar in enumerate(bars)]
    if not bars:
        rows.append(Markup('<text x="4" y="16" fill="#6b7280">нет данных</text>'))
    # Markup.format escapes every argument that is not Markup itself.
    return Markup(
        # Scales down to its column (dashboard.css, svg.chart: no inline style under the
        # Content-Security-Policy): the viewBox keeps the proportions, the text shrinks too.
        '<svg class="chart" role="img" aria-label="{title}" width="{width}" height="{height}" '
        'viewBox="0 0 {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg">'
        "<title>{title}</title>{rows}</svg>"
    ).format(title=title, width=width, height=height, rows=Markup("").join(rows))


def _row(index: int, bar: Bar, top: Decimal) -> Markup:
    y = index * ROW + 2
    length = 0 if top <= 0 else max(int(Decimal(bar.value) * BAR_WIDTH / top), 0)
    return Markup(
        '<text x="{label_x}" y="{text_y}" text-anchor="end" font-size="12">{label}</text>'
        '<rect x="{bar_x}" y="{bar_y}" width="{length}" height="{bar_h}" fill="{colour}">'
        "<title>{full}: {shown}</title></rect>"
        '<text x="{value_x}" y="{text_y}" font-size="12">{shown}</text>'
    ).format(
        label_x=LABEL_WIDTH - 6,
        text_y=y + 15,
        label=_cut(bar.label),
        bar_x=LABEL_WIDTH,
        bar_y=y + 3,
        length=length,
        bar_h=ROW - 6,
        colour=COLOURS[bar.series % len(COLOURS)],
        full=bar.label,
        shown=bar.shown,
        value_x=LABEL_WIDTH + length + 6,
    )


def _cut(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
