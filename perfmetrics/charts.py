"""Server-rendered SVG line charts of p50/p95 durations over time (no JavaScript).

Pure: plain values in, SVG markup out (every value escaped by ``format_html``).
One small panel per series, each with its own y scale, because components differ
by orders of magnitude; p50 is the solid line, p95 the dashed one. Consecutive
points more than one bucket apart are not joined, so a gap in the data shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 30, 30
P50_COLOR, P95_COLOR = "#2f6ea7", "#d9822b"


@dataclass(frozen=True)
class Point:
    """Percentiles of one time bucket starting at ``start``."""

    start: datetime
    p50_ms: float
    p95_ms: float
    count: int


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Frame:
    """The time axis: ``since`` to ``until`` in buckets of ``bucket``."""

    since: datetime
    until: datetime
    bucket: timedelta

    def x(self, moment: datetime) -> float:
        """Horizontal pixel of ``moment``."""
        span = (self.until - self.since).total_seconds()
        offset = (moment - self.since).total_seconds()
        return LEFT + (WIDTH - LEFT - RIGHT) * offset / span

    def x_of_bucket(self, start: datetime) -> float:
        """Horizontal pixel of the bucket starting at ``start``: its middle."""
        return self.x(start + self.bucket / 2)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= ``value`` (> 0)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10.0 * power


def y_ticks(maximum: float, most: int = 4) -> list[float]:
    """Ticks from 0 at a round step, the last at or above ``maximum``, at most ``most`` steps."""
    step = nice_ceiling(maximum / most)
    steps = max(1, math.ceil(maximum / step - 1e-9))
    return [step * i for i in range(steps + 1)]


def format_ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.3g} s"
    return f"{value:.3g} ms"


def time_ticks(frame: Frame, *, most: int = 8) -> list[datetime]:
    """Tick times at a round step (1 hour .. 14 days), at most ``most`` of them."""
    span = frame.until - frame.since
    steps = [timedelta(hours=h) for h in (1, 2, 3, 6, 12, 24, 48, 168, 336)]
    step = next((s for s in steps if span / s + 1 <= most), steps[-1])
    epoch = datetime(1970, 1, 1, tzinfo=frame.since.tzinfo)
    first = frame.since + (epoch - frame.since) % step
    ticks = []
    at = first
    while at <= frame.until:
        ticks.append(at)
        at += step
    return ticks


def time_label(moment: datetime) -> str:
    """The date at midnight, the time of day otherwise."""
    return f"{moment:%m-%d}" if (moment.hour, moment.minute) == (0, 0) else f"{moment:%H:%M}"


def _anchor(x: float) -> str:
    """Labels at the ends of the axis grow inwards so they are not cut off."""
    if x < LEFT + 30:
        return "start"
    return "end" if x > WIDTH - RIGHT - 30 else "middle"


def segments(points: Sequence[Point], bucket: timedelta) -> list[list[Point]]:
    """Runs of consecutive buckets; a missing bucket starts a new segment."""
    runs: list[list[Point]] = []
    for point in points:
        if runs and point.start - runs[-1][-1].start <= bucket:
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def _polylines(points: Sequence[Point], frame: Frame, top: float, *, p95: bool) -> SafeString:
    def coords(run: list[Point]) -> str:
        return " ".join(
            f"{frame.x_of_bucket(p.start):.1f},{_y(p.p95_ms if p95 else p.p50_ms, top):.1f}"
            for p in run
        )

    return format_html_join(
        "",
        '<polyline class="{}" fill="none" stroke="{}" stroke-width="1.5" '
        'stroke-dasharray="{}" points="{}"/>',
        (
            ("p95", P95_COLOR, "5 3", coords(run))
            if p95
            else ("p50", P50_COLOR, "none", coords(run))
            for run in segments(points, frame.bucket)
        ),
    )


def _markers(points: Sequence[Point], frame: Frame, top: float) -> SafeString:
    """A p95 and a p50 marker per bucket, both titled with its values: a bucket without
    neighbours has no line to show it, only its markers."""
    return format_html_join(
        "",
        '<circle class="p95-point" cx="{0}" cy="{1}" r="2" fill="{2}"><title>{5}</title></circle>'
        '<circle class="point" cx="{0}" cy="{3}" r="2.5" fill="{4}"><title>{5}</title></circle>',
        (
            (
                f"{frame.x_of_bucket(p.start):.1f}",
                f"{_y(p.p95_ms, top):.1f}",
                P95_COLOR,
                f"{_y(p.p50_ms, top):.1f}",
                P50_COLOR,
                f"{p.start:%Y-%m-%d %H:%M} UTC: p50 {format_ms(p.p50_ms)}, "
                f"p95 {format_ms(p.p95_ms)}, {p.count} samples",
            )
            for p in points
        ),
    )


def _axes(frame: Frame, ticks: Iterable[float], top: float) -> SafeString:
    """Horizontal gridlines with duration labels, vertical ones with time labels."""
    left, right, bottom = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM
    horizontal = format_html_join(
        "",
        '<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke="#ddd"/>'
        '<text x="{3}" y="{4}" text-anchor="end" font-size="11" fill="#666">{5}</text>',
        (
            (left, right, f"{_y(t, top):.1f}", left - 4, f"{_y(t, top) + 3:.1f}", format_ms(t))
            for t in ticks
        ),
    )
    vertical = format_html_join(
        "",
        '<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" stroke="#eee"/>'
        '<text x="{0}" y="{3}" text-anchor="{4}" font-size="11" fill="#666">{5}</text>',
        (
            (f"{x:.1f}", TOP, bottom, bottom + 14, _anchor(x), time_label(t))
            for t, x in ((t, frame.x(t)) for t in time_ticks(frame))
        ),
    )
    return format_html("{}{}", horizontal, vertical)


def render_panel(series: Series, frame: Frame) -> SafeString:
    """One ``<svg>`` for ``series``: gridlines, the p50 and p95 lines, a marker per bucket."""
    ticks = y_ticks(max((p.p95_ms for p in series.points), default=1.0))
    top = ticks[-1]
    return format_html(
        '<svg class="percentile-chart" data-series="{}" xmlns="http://www.w3.org/2000/svg" '
        'viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">'
        '<text x="{}" y="17" font-size="14" font-weight="bold" fill="#333">{}</text>'
        '<text x="{}" y="17" font-size="12" text-anchor="end">'
        '<tspan fill="{}">&#9473; p50</tspan> <tspan fill="{}">&#9476; p95</tspan></text>'
        "{}{}{}{}</svg>",
        series.name,
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        f"p50 and p95 of {series.name}",
        LEFT,
        series.name,
        WIDTH - RIGHT,
        P50_COLOR,
        P95_COLOR,
        _axes(frame, ticks, top),
        _polylines(series.points, frame, top, p95=True),
        _polylines(series.points, frame, top, p95=False),
        _markers(series.points, frame, top),
    )


def render_panels(series: Iterable[Series], frame: Frame) -> SafeString:
    """Every series' panel, in the given order."""
    return format_html_join("", "{}", ((render_panel(s, frame),) for s in series))
