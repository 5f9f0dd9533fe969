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
FONT = 12
PAD = 4  # between the drawing's edge and any text
GAP = 6  # between a label or a value and its bar
LABEL_WIDTH = 220  # the widest the labels' column grows; longer labels are cut, with a tooltip
BAR_WIDTH = 360
COLOURS = ("#4a90d9", "#e0a33a", "#5bb974", "#d9534f")
# Glyph widths in em, generous for the sans-serif fonts a browser picks (DejaVu Sans is the
# widest): the drawing has no font metrics, and a label guessed too wide only leaves room.
NARROW, WIDE, SPACE = 0.64, 0.82, 0.36
WIDE_LETTERS = frozenset("жшщыюфmw@%—₽…")
EMPTY = "нет данных"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: Decimal | int
    shown: str  # the value as the table shows it
    series: int = 0  # picks the colour: two series side by side (paid / asked)


def text_width(text: str, size: int = FONT) -> int:
    """How wide `text` draws at `size` px, rounded up: an estimate on the wide side."""
    ems = sum(
        SPACE if char.isspace() else WIDE if char in WIDE_LETTERS or char.isupper() else NARROW
        for char in text
    )
    return int(ems * size) + 1


def bar_chart(bars: Sequence[Bar], title: str) -> Markup:
    """One bar per row, scaled to the largest value; negative values draw as empty bars.

    The labels' and the values' columns are as wide as their widest text (labels up to
    `LABEL_WIDTH`), so no text runs past the drawing's edge: a label that was cut to fit the
    column keeps its full text as a tooltip."""
    label_w = min(max((text_width(bar.label) for bar in bars), default=0), LABEL_WIDTH)
    value_w = max((text_width(bar.shown) for bar in bars), default=0)
    layout = _Layout(bar_x=PAD + label_w + GAP)
    width = max(layout.bar_x + BAR_WIDTH + GAP + value_w + PAD, text_width(EMPTY) + 2 * PAD)
    height = max(len(bars), 1) * ROW + 4
    top = max((Decimal(bar.value) for bar in bars), default=Decimal(0))
    rows = [layout.row(index, bar, top) for index, bar in enumerate(bars)]
    if not bars:
        rows.append(
            Markup('<text x="{x}" y="16" fill="#6b7280">{empty}</text>').format(x=PAD, empty=EMPTY)
        )
    # Markup.format escapes every argument that is not Markup itself.
    return Markup(
        # Scales down to its column (dashboard.css, svg.chart: no inline style under the
        # Content-Security-Policy): the viewBox keeps the proportions, the text shrinks too.
        '<svg class="chart" role="img" aria-label="{title}" width="{width}" height="{height}" '
        'viewBox="0 0 {width} {height}" font-size="{font}" '
        'xmlns="http://www.w3.org/2000/svg">'
        "<title>{title}</title>{rows}</svg>"
    ).format(title=title, width=width, height=height, font=FONT, rows=Markup("").join(rows))


@dataclass(frozen=True, slots=True)
class _Layout:
    bar_x: int  # where the bars start; the labels end `GAP` before

    def row(self, index: int, bar: Bar, top: Decimal) -> Markup:
        y = index * ROW + 2
        length = 0 if top <= 0 else max(int(Decimal(bar.value) * BAR_WIDTH / top), 0)
        label = _fit(bar.label, self.bar_x - GAP - PAD)
        tooltip = Markup("<title>{}</title>").format(bar.label) if label != bar.label else ""
        return Markup(
            '<text x="{label_x}" y="{text_y}" text-anchor="end">{label}{tooltip}</text>'
            '<rect x="{bar_x}" y="{bar_y}" width="{length}" height="{bar_h}" fill="{colour}">'
            "<title>{full}: {shown}</title></rect>"
            '<text x="{value_x}" y="{text_y}">{shown}</text>'
        ).format(
            label_x=self.bar_x - GAP,
            text_y=y + 15,
            label=label,
            tooltip=tooltip,
            bar_x=self.bar_x,
            bar_y=y + 3,
            length=length,
            bar_h=ROW - 6,
            colour=COLOURS[bar.series % len(COLOURS)],
            full=bar.label,
            shown=bar.shown,
            value_x=self.bar_x + length + GAP,
        )


def _fit(label: str, room: int) -> str:
    """The label, or as much of it as fits in `room` px followed by «…»."""
    if text_width(label) <= room:
        return label
    cut = label
    while cut and text_width(cut + "…") > room:
        cut = cut[:-1]
    return cut.rstrip() + "…"
