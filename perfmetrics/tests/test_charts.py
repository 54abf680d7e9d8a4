from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest

from perfmetrics import charts
from perfmetrics.charts import Frame, Point, Series

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
FRAME = Frame(since=SINCE, until=SINCE + timedelta(days=1), bucket=timedelta(hours=1))


def point(hour: int, p50: float, p95: float, count: int = 3) -> Point:
    return Point(start=SINCE + timedelta(hours=hour), p50_ms=p50, p95_ms=p95, count=count)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, 1.0),
        (0.7, 1.0),
        (1.0, 1.0),
        (1.2, 2.0),
        (2.2, 2.5),
        (3.0, 5.0),
        (7.0, 10.0),
        (120.0, 200.0),
    ],
)
def test_nice_ceiling_rounds_up_to_one_two_two_and_a_half_or_five(value, expected):
    assert charts.nice_ceiling(value) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [
        (37.0, [0.0, 10.0, 20.0, 30.0, 40.0]),
        (21.0, [0.0, 10.0, 20.0, 30.0]),
        (20.0, [0.0, 5.0, 10.0, 15.0, 20.0]),
        (7.0, [0.0, 2.0, 4.0, 6.0, 8.0]),
        (0.0, [0.0, 1.0]),
    ],
)
def test_y_ticks_start_at_zero_and_stop_at_the_first_round_value_past_the_maximum(
    maximum, expected
):
    assert charts.y_ticks(maximum) == pytest.approx(expected)


def test_time_ticks_fall_on_round_hours_inside_the_window():
    ticks = charts.time_ticks(FRAME)

    assert ticks[0] == SINCE
    assert ticks[-1] <= FRAME.until
    assert len(ticks) <= 8
    assert {t.minute for t in ticks} == {0}
    assert len({b - a for a, b in itertools.pairwise(ticks)}) == 1


def test_segments_break_where_a_bucket_is_missing():
    points = [point(0, 1, 2), point(1, 1, 2), point(4, 1, 2), point(5, 1, 2), point(9, 1, 2)]

    runs = charts.segments(points, FRAME.bucket)

    assert [[p.start.hour for p in run] for run in runs] == [[0, 1], [4, 5], [9]]


def test_a_panel_draws_a_marker_per_bucket_and_a_line_per_segment_for_each_percentile():
    series = Series("similarity_analysis", (point(0, 10, 20), point(1, 12, 30), point(3, 11, 25)))

    svg = charts.render_panel(series, FRAME)

    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert 'data-series="similarity_analysis"' in svg
    assert svg.count('<circle class="point"') == 3
    assert svg.count('<polyline class="p50"') == 2
    assert svg.count('<polyline class="p95"') == 2


def test_points_are_placed_by_time_and_value():
    series = Series("x", (point(0, 20, 40), point(23, 10, 20)))

    svg = charts.render_panel(series, FRAME)

    xs = [float(x) for x in re.findall(r'<circle class="point" cx="([\d.]+)"', svg)]
    ys = [float(y) for y in re.findall(r'<circle class="point" cx="[\d.]+" cy="([\d.]+)"', svg)]
    plot_width = charts.WIDTH - charts.LEFT - charts.RIGHT
    plot_height = charts.HEIGHT - charts.TOP - charts.BOTTOM
    # Bucket middles: half an hour and 23.5 hours into a 24-hour axis.
    assert xs[0] == pytest.approx(charts.LEFT + plot_width * 0.5 / 24, abs=0.1)
    assert xs[1] == pytest.approx(charts.LEFT + plot_width * 23.5 / 24, abs=0.1)
    # The axis tops out at 40 ms: p50 20 ms is half way up, 10 ms a quarter.
    assert ys[0] == pytest.approx(charts.TOP + plot_height * 0.5, abs=0.1)
    assert ys[1] == pytest.approx(charts.TOP + plot_height * 0.75, abs=0.1)


def test_a_lone_bucket_still_shows_its_p95():
    # One bucket is a one-point polyline, which draws nothing: the markers must show both.
    svg = charts.render_panel(Series("x", (point(5, 20, 40),)), FRAME)

    p95_ys = [float(y) for y in re.findall(r'class="p95-point" cx="[\d.]+" cy="([\d.]+)"', svg)]
    p50_ys = [float(y) for y in re.findall(r'class="point" cx="[\d.]+" cy="([\d.]+)"', svg)]
    plot_height = charts.HEIGHT - charts.TOP - charts.BOTTOM
    # The axis tops out at 40 ms: p95 sits at the top, p50 half way up.
    assert p95_ys == [pytest.approx(charts.TOP, abs=0.1)]
    assert p50_ys == [pytest.approx(charts.TOP + plot_height * 0.5, abs=0.1)]


def test_point_titles_give_the_values_in_readable_units():
    svg = charts.render_panel(Series("x", (point(2, 850, 1500, count=7),)), FRAME)

    title = "<title>2026-03-01 02:00 UTC: p50 850 ms, p95 1.5 s, 7 samples</title>"
    assert svg.count(title) == 2  # on the p50 and the p95 marker


def test_series_names_are_escaped():
    svg = charts.render_panel(Series('<script>alert("x")</script>', (point(0, 1, 2),)), FRAME)

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_render_panels_gives_one_svg_per_series_in_order():
    html = charts.render_panels([Series("b", (point(0, 1, 2),)), Series("a", ())], FRAME)

    assert re.findall(r'data-series="(\w+)"', html) == ["b", "a"]


def test_time_labels_show_the_date_at_midnight_and_the_time_otherwise():
    assert charts.time_label(SINCE) == "03-01"
    assert charts.time_label(SINCE + timedelta(hours=6)) == "06:00"


def test_axis_labels_at_the_ends_grow_inwards():
    svg = charts.render_panel(Series("x", (point(0, 1, 2),)), FRAME)

    labels = re.findall(r'text-anchor="(\w+)" font-size="11" fill="#666">(\d\d[-:]\d\d)<', svg)
    assert labels[0] == ("start", "03-01")
    assert labels[-1] == ("end", "03-02")
    assert {anchor for anchor, _ in labels[1:-1]} == {"middle"}
