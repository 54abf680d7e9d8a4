"""The HTML report: every chart of every phase, the baseline beside this run, one
self-contained file; opened in headless Chromium when it is installed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from orchestration.perftest.html import render_html, trend_chart
from orchestration.perftest.report import report_to_json
from orchestration.perftest.stats import latency_histogram, time_line
from orchestration.perftest.values import Sample
from orchestration.tests.perftest_builders import make_charted_report

CHROMIUM = "/usr/bin/chromium"
# The browser on this machine, never a downloaded one; no network, no background services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Per phase: histogram, latency and throughput over time; orchestration phases add the
# server components.
CHARTS = {
    "baseline": ["histogram", "latency-time", "throughput-time", "components"],
    "pattern_recognition": ["histogram", "latency-time", "throughput-time", "components"],
    "metrics_endpoint": ["histogram", "latency-time", "throughput-time"],
    "concurrent": ["histogram", "latency-time", "throughput-time", "components"],
}


def current_and_baseline() -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        report_to_json(make_charted_report(label="pt-now")),
        report_to_json(make_charted_report(label="pt-before", scale=1.5)),
    )


def charts_by_phase(page: str) -> dict[str, list[str]]:
    sections = re.findall(r'<section class="phase" data-phase="([^"]+)">(.*?)</section>', page)
    return {name: re.findall(r'data-chart="([^"]+)"', body) for name, body in sections}


def test_every_phase_has_each_of_its_charts_in_the_plan_order():
    report, _ = current_and_baseline()

    page = render_html(report)

    assert charts_by_phase(page) == CHARTS
    assert 'class="no-data"' not in page


def test_with_a_baseline_every_chart_and_the_table_show_it_beside_this_run():
    report, baseline = current_and_baseline()

    page = render_html(report | {"compared_with": "run pt-before"}, baseline)

    for chart in re.findall(r"<svg .*?</svg>", page, flags=re.S):
        assert "this run" in chart
        assert "baseline" in chart
    assert "p95 baseline" in page
    assert "compared with run pt-before" in page


def test_the_file_needs_nothing_from_the_network_and_escapes_what_it_shows():
    report, _ = current_and_baseline()
    report["checks"][0]["detail"] = "<script>alert(1)</script>"

    page = render_html(report)

    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)=|url\(|@import""", page)
    # Only the SVG namespace and the tested server's address, as text.
    assert set(re.findall(r"https?://[^\s\"'<,]+", page)) == {
        "http://www.w3.org/2000/svg",
        "http://127.0.0.1:8000",
    }


def test_an_older_report_without_histograms_draws_what_it_has():
    report, _ = current_and_baseline()
    for phase in report["phases"].values():
        del phase["histogram"], phase["timeline"]

    page = render_html(report)

    assert page.count('class="no-data"') == 3 * len(CHARTS)
    assert page.count('data-chart="components"') == 3


def test_histogram_bins_are_log_scale_and_shared_by_every_run():
    bins = latency_histogram([3.0, 3.1, 12.0, 500.0])

    assert [(b.lower_ms, b.upper_ms) for b in bins][:2] == [(2.5, 4.0), (4.0, 6.3)]
    assert [b.count for b in bins if b.count] == [2, 1, 1]
    assert all(b.upper_ms / b.lower_ms == pytest.approx(1.585, rel=0.05) for b in bins)


def test_a_time_line_has_a_few_requests_per_bucket_and_rates_per_second():
    samples = [Sample(200, 10.0, offset_s=i * 0.1) for i in range(100)]

    buckets = time_line(samples, wall_s=10.0)

    assert len(buckets) == 20
    assert {b.requests for b in buckets} == {5}
    assert {b.throughput_rps for b in buckets} == {10.0}


def test_the_trend_has_one_line_per_phase_across_runs():
    runs = [
        (f"pt-{i}", f"2026-11-2{i}T03:00:00+00:00", current_and_baseline()[0]) for i in range(3)
    ]

    chart = trend_chart(runs)

    assert chart.count("<polyline") == len(CHARTS)
    assert "11-20 03:00" in chart


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"chromium is not installed at {CHROMIUM}")
def test_chromium_renders_every_chart_without_a_console_error(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    report, baseline = current_and_baseline()
    path = tmp_path / "report.html"
    path.write_text(render_html(report | {"compared_with": "run pt-before"}, baseline))
    errors: list[str] = []

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on(
                "request", lambda r: errors.append(r.url) if not r.url.startswith("file:") else None
            )
            page.goto(path.as_uri())
            charts = page.locator("svg.chart")
            count = charts.count()
            boxes = [charts.nth(i).bounding_box() for i in range(count)]
            marks = [charts.nth(i).locator(".mark").count() for i in range(count)]
        finally:
            browser.close()

    assert count == sum(len(charts) for charts in CHARTS.values())
    assert all(box is not None and box["width"] > 100 and box["height"] > 50 for box in boxes)
    assert all(marks)
    assert errors == []


def test_ci_installs_chromium_so_the_browser_test_runs_there():
    assert "apt-get install -y chromium" in (Path(__file__).parents[2] / ".ci/run").read_text()
