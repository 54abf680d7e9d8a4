"""SVG charts of perftest reports, drawn on the server like the admin's percentile chart
(``perfmetrics/charts.py``, whose scales this reuses): no JavaScript, no network.

Pure: plain values in, SVG markup out, every text escaped by ``format_html``. Each chart
is an ``<svg class="chart" data-chart="...">`` with at least one data mark, or a
``<p class="no-data">`` when there is nothing to draw. This run is drawn in colour, a
baseline beside it in grey (docs/design.md §5, "HTML report").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from perfmetrics.charts import format_ms, y_ticks

WIDTH, HEIGHT = 460, 220
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 40, 34
CURRENT, BASELINE, P95 = "#2f6ea7", "#9e9e9e", "#d9822b"
# Component segments of the stacked bar, in order.
PALETTE = (
    "#2f6ea7", "#d9822b", "#3f9c5a", "#b5485d", "#7b5ea7", "#c9a227",
    "#4aa3b5", "#8c6d46", "#d36fb0", "#5b6b7a", "#9bbf3b", "#e0593a",
)  # fmt: skip


@dataclass(frozen=True)
class Line:
    """One line of a line chart: ``points`` are (x, y); a None y leaves a gap."""

    name: str
    points: tuple[tuple[float, float | None], ...]
    color: str
    dashed: bool = False
    titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bars:
    """One series of a bar chart over shared categories."""

    name: str
    values: tuple[float, ...]
    color: str


def no_data(title: str) -> SafeString:
    return format_html('<p class="no-data">{}: no data.</p>', title)


def _frame(
    chart: str, title: str, legend: SafeString, body: SafeString, *, height: int = HEIGHT
) -> SafeString:
    return format_html(
        '<svg class="chart" data-chart="{}" xmlns="http://www.w3.org/2000/svg" '
        'viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">'
        '<text x="{}" y="16" font-size="13" font-weight="bold" fill="#333">{}</text>'
        "{}{}</svg>",
        chart,
        WIDTH,
        height,
        WIDTH,
        height,
        title,
        LEFT,
        title,
        legend,
        body,
    )


def _legend(entries: Sequence[tuple[str, str, bool]]) -> SafeString:
    """Right-aligned ``name`` labels in their colours (dashed: a dotted glyph)."""
    spans = format_html_join(
        " ",
        '<tspan fill="{}">{} {}</tspan>',
        ((color, "\u2504" if dashed else "\u2501", name) for name, color, dashed in entries),
    )
    return format_html('<text x="{}" y="30" font-size="11">{}</text>', LEFT, spans)


def _px(value: float) -> str:
    """A coordinate as SVG text: a tenth of a pixel is precise enough."""
    return f"{value:.1f}"


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def _y_axis(top: float, label: Callable[[float], str]) -> SafeString:
    return format_html_join(
        "",
        '<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke="#ddd"/>'
        '<text x="{3}" y="{4}" text-anchor="end" font-size="10" fill="#666">{5}</text>',
        (
            (LEFT, WIDTH - RIGHT, _px(_y(t, top)), LEFT - 4, _px(_y(t, top) + 3), label(t))
            for t in y_ticks(top)
        ),
    )


def line_chart(
    chart: str,
    title: str,
    lines: Sequence[Line],
    *,
    y_label: Callable[[float], str] = format_ms,
    x_label: Callable[[float], str] = lambda x: f"{x:.3g} s",
    x_ticks: Sequence[tuple[float, str]] | None = None,
) -> SafeString:
    """Lines over a shared x range; a marker per point, titled when ``titles`` are given."""
    values = [(x, y) for line in lines for x, y in line.points if y is not None]
    if not values:
        return no_data(title)
    low = min(x for x, _ in values)
    high = max(x for x, _ in values)
    top = y_ticks(max(max(y for _, y in values), 1e-9))[-1]

    def x_of(x: float) -> float:
        span = high - low or 1.0
        return LEFT + (WIDTH - LEFT - RIGHT) * (x - low) / span

    ticks = x_ticks if x_ticks is not None else [(low, x_label(low)), (high, x_label(high))]
    x_axis = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}" font-size="10" fill="#666">{}</text>',
        (
            (
                _px(x_of(x)),
                HEIGHT - BOTTOM + 14,
                "end" if i and i == len(ticks) - 1 else "start",
                text,
            )
            for i, (x, text) in enumerate(ticks)
        ),
    )
    body = format_html_join("", "{}", ((_line(line, x_of, top),) for line in lines if line.points))
    legend = _legend([(line.name, line.color, line.dashed) for line in lines])
    return _frame(chart, title, legend, format_html("{}{}{}", _y_axis(top, y_label), x_axis, body))


def _line(line: Line, x_of: Callable[[float], float], top: float) -> SafeString:
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in line.points:
        if y is None:
            runs.append([])
        else:
            runs[-1].append((x_of(x), _y(y, top)))
    polylines = format_html_join(
        "",
        '<polyline class="series" fill="none" stroke="{}" stroke-width="1.6" '
        'stroke-dasharray="{}" points="{}"/>',
        (
            (
                line.color,
                "5 3" if line.dashed else "none",
                " ".join(f"{x:.1f},{y:.1f}" for x, y in run),
            )
            for run in runs
            if len(run) > 1
        ),
    )
    titles = line.titles or tuple(f"{line.name}: {y:.4g}" for _, y in line.points if y is not None)
    marks = [(_px(x_of(x)), _px(_y(y, top))) for x, y in line.points if y is not None]
    markers = format_html_join(
        "",
        '<circle class="mark" cx="{}" cy="{}" r="2.2" fill="{}"><title>{}</title></circle>',
        ((x, y, line.color, title) for (x, y), title in zip(marks, titles, strict=False)),
    )
    return format_html("{}{}", polylines, markers)


def _coords(run: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in run)


def bar_chart(
    chart: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Bars],
    *,
    y_label: Callable[[float], str] = lambda v: f"{v:.0%}",
) -> SafeString:
    """Vertical bars per category, the series side by side within it."""
    if not categories or not any(v for s in series for v in s.values):
        return no_data(title)
    top = y_ticks(max(v for s in series for v in s.values))[-1]
    slot = (WIDTH - LEFT - RIGHT) / len(categories)
    bar = slot * 0.8 / len(series)
    rects = format_html_join(
        "",
        '<rect class="mark" x="{}" y="{}" width="{}" height="{}" fill="{}">'
        "<title>{}: {} {}</title></rect>",
        (
            (
                _px(LEFT + slot * i + slot * 0.1 + bar * j),
                _px(_y(value, top)),
                _px(max(bar - 1, 1)),
                _px(_y(0, top) - _y(value, top)),
                s.color,
                s.name,
                categories[i],
                y_label(value),
            )
            for j, s in enumerate(series)
            for i, value in enumerate(s.values)
            if value
        ),
    )
    every = max(1, len(categories) // 8)
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="#666">{}</text>',
        (
            (_px(LEFT + slot * (i + 0.5)), HEIGHT - BOTTOM + 14, text)
            for i, text in enumerate(categories)
            if i % every == 0
        ),
    )
    legend = _legend([(s.name, s.color, False) for s in series])
    return _frame(chart, title, legend, format_html("{}{}{}", _y_axis(top, y_label), labels, rects))


def stacked_bars(
    chart: str, title: str, rows: Sequence[tuple[str, dict[str, float]]]
) -> SafeString:
    """One horizontal bar per row (this run, the baseline), its segments the components'
    mean durations, coloured alike in every row."""
    names = sorted({name for _, parts in rows for name in parts})
    totals = [sum(parts.values()) for _, parts in rows]
    if not names or not any(totals):
        return no_data(title)
    color = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    top = y_ticks(max(totals))[-1]
    scale = (WIDTH - LEFT - RIGHT) / top
    bar, gap = 24, 8
    segments = []
    for r, (row, parts) in enumerate(rows):
        x = float(LEFT)
        for name in names:
            width = parts.get(name, 0.0) * scale
            if width > 0:
                text = format_ms(parts[name])
                y = TOP + r * (bar + gap)
                segments.append((_px(x), y, _px(width), bar, color[name], row, name, text))
                x += width
    bars = format_html_join(
        "",
        '<rect class="mark" x="{}" y="{}" width="{}" height="{}" fill="{}">'
        "<title>{}: {} {}</title></rect>",
        segments,
    )
    row_labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" font-size="10" fill="#333">{}</text>',
        ((LEFT - 4, TOP + r * (bar + gap) + 16, row) for r, (row, _) in enumerate(rows)),
    )
    axis_y = TOP + len(rows) * (bar + gap) + 4
    axis = format_html(
        '<text x="{}" y="{}" font-size="10" fill="#666">0</text>'
        '<text x="{}" y="{}" text-anchor="end" font-size="10" fill="#666">{}</text>',
        LEFT,
        axis_y,
        WIDTH - RIGHT,
        axis_y,
        format_ms(top),
    )
    # The colour keys, two to a line, below the axis.
    keys_y = axis_y + 14
    keys = format_html_join(
        "",
        '<rect x="{}" y="{}" width="9" height="9" fill="{}"/>'
        '<text x="{}" y="{}" font-size="10" fill="#333">{}</text>',
        (
            (
                LEFT + (i % 2) * 200,
                keys_y + (i // 2) * 14,
                color[name],
                LEFT + (i % 2) * 200 + 13,
                keys_y + (i // 2) * 14 + 8,
                name,
            )
            for i, name in enumerate(names)
        ),
    )
    height = keys_y + (len(names) + 1) // 2 * 14 + 6
    body = format_html("{}{}{}{}", bars, row_labels, axis, keys)
    return _frame(chart, title, SafeString(""), body, height=height)
