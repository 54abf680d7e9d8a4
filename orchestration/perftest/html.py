"""The HTML report (``--html FILE``) and the same charts for the admin page of a stored run.

Built from the JSON report (``report_to_json``), so a run's stored report and a baseline's
draw alike, and older reports without a histogram or time line draw what they have. One
self-contained file: inline CSS and SVG, no script, no external resource
(docs/design.md §5, "HTML report").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from perfmetrics.charts import format_ms

from .charts import BASELINE, CURRENT, P95, Bars, Line, bar_chart, line_chart, stacked_bars
from .values import MEASURED_PHASES, TOTAL

Json = Mapping[str, Any]

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:17px;margin-top:28px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #e3e3e3;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:10px}.no-data{color:#888;font-size:13px}
.meta{color:#555;font-size:13px}
table.checks td:last-child{text-align:left;color:#444}
"""


def render_html(report: Json, baseline: Json | None = None) -> str:
    """The whole report page; ``baseline`` is the compared report, drawn beside it."""
    verdict = "PASSED" if report.get("passed") else "FAILED"
    compared = (
        format_html("; compared with {}", report["compared_with"])
        if report.get("compared_with")
        else ""
    )
    return format_html(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>perftest {} {}</title><style>{}</style></head><body>"
        '<h1>Performance test {} <span class="{}">{}</span></h1>'
        '<p class="meta">Project {} at {}, release {}, {} to {}{}.</p>'
        "<h2>Checks</h2>{}<h2>Latency per phase</h2>{}{}</body></html>\n",
        report.get("label"),
        verdict,
        SafeString(STYLE),
        report.get("label"),
        "pass" if report.get("passed") else "fail",
        verdict,
        report.get("project_id"),
        report.get("target_url"),
        report.get("release") or "unknown",
        _moment(report.get("started_at")),
        _moment(report.get("finished_at")),
        compared,
        checks_table(report),
        latency_table(report, baseline),
        phase_sections(report, baseline),
    )


def checks_table(report: Json) -> SafeString:
    rows = format_html_join(
        "",
        '<tr><td>{}</td><td class="{}">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                c.get("name"),
                "pass" if c.get("passed") else "fail",
                "PASS" if c.get("passed") else "FAIL",
                _num(c.get("actual")),
                _num(c.get("target")),
                c.get("detail"),
            )
            for c in report.get("checks", [])
        ),
    )
    return format_html(
        '<table class="checks"><tr><th>check</th><th>result</th><th>actual</th><th>limit</th>'
        "<th>detail</th></tr>{}</table>",
        rows,
    )


def latency_table(report: Json, baseline: Json | None) -> SafeString:
    """p50/p95/p99 per phase (client side), the baseline's beside each when compared."""
    columns = ["p50_ms", "p95_ms", "p99_ms"]
    head = format_html_join(
        "",
        "<th>{}</th>",
        (
            (f"{name}{suffix}",)
            for name in ("p50", "p95", "p99")
            for suffix in ((" now", " baseline") if baseline else ("",))
        ),
    )
    rows = []
    for name, phase in _ordered(report.get("phases", {})):
        before = _phases(baseline).get(name, {}).get("latency", {}) if baseline else None
        cells = []
        for column in columns:
            cells.append(_ms(phase.get("latency", {}).get(column)))
            if before is not None:
                cells.append(_ms(before.get(column)))
        rows.append((name, phase.get("requests"), phase.get("errors"), cells, _rps(phase)))
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td></tr>",
        (
            (
                name,
                requests,
                errors,
                format_html_join("", "<td>{}</td>", ((c,) for c in cells)),
                rps,
            )
            for name, requests, errors, cells, rps in rows
        ),
    )
    return format_html(
        '<table class="latency"><tr><th>phase</th><th>requests</th><th>errors</th>{}'
        "<th>req/s</th></tr>{}</table>",
        head,
        body,
    )


def phase_sections(report: Json, baseline: Json | None) -> SafeString:
    """Per phase: latency histogram, latency and throughput over time, components."""
    sections = []
    for name, phase in _ordered(report.get("phases", {})):
        before = _phases(baseline).get(name) if baseline else None
        charts = [
            histogram(name, phase, before),
            latency_over_time(name, phase, before),
            throughput_over_time(name, phase, before),
        ]
        server = report.get("server", {}).get(name)
        if server is not None:
            base_server = baseline.get("server", {}).get(name) if baseline else None
            charts.append(components(name, server, base_server))
        sections.append((name, format_html_join("", "{}", ((c,) for c in charts))))
    return format_html_join(
        "",
        '<section class="phase" data-phase="{0}"><h3>{0}</h3>'
        '<div class="charts" style="display:flex;flex-wrap:wrap;gap:10px">{1}</div></section>',
        sections,
    )


def histogram(name: str, phase: Json, baseline: Json | None) -> SafeString:
    """Share of the successful requests per log-scale latency bin."""
    runs = _runs(phase, baseline)
    bins = sorted(
        {(b["lower_ms"], b["upper_ms"]) for _, p, _ in runs for b in p.get("histogram", [])}
    )
    series = []
    for label, data, color in runs:
        counts = {(b["lower_ms"], b["upper_ms"]): b["count"] for b in data.get("histogram", [])}
        total = sum(counts.values()) or 1
        series.append(Bars(label, tuple(counts.get(key, 0) / total for key in bins), color))
    categories = [f"<{format_ms(upper)}" for _, upper in bins]
    return bar_chart("histogram", f"{name}: latency histogram", categories, series)


def latency_over_time(name: str, phase: Json, baseline: Json | None) -> SafeString:
    lines = []
    for label, data, color in _runs(phase, baseline):
        timeline = data.get("timeline", [])
        for metric, dashed in (("p50_ms", False), ("p95_ms", True)):
            points = tuple((b["start_s"] + b["width_s"] / 2, b[metric]) for b in timeline)
            shade = P95 if dashed and color == CURRENT else color
            lines.append(Line(f"{label} {metric[:3]}", points, shade, dashed=dashed))
    return line_chart("latency-time", f"{name}: latency over time", lines)


def throughput_over_time(name: str, phase: Json, baseline: Json | None) -> SafeString:
    lines = [
        Line(
            f"{label} req/s",
            tuple(
                (b["start_s"] + b["width_s"] / 2, b["throughput_rps"])
                for b in data.get("timeline", [])
            ),
            color,
        )
        for label, data, color in _runs(phase, baseline)
    ]
    return line_chart(
        "throughput-time", f"{name}: throughput over time", lines, y_label=lambda v: f"{v:g}/s"
    )


def components(name: str, server: Json, baseline: Json | None) -> SafeString:
    """The server-side components' mean duration per run, stacked."""
    rows = [("this run", _component_means(server))]
    if baseline is not None:
        rows.append(("baseline", _component_means(baseline)))
    return stacked_bars("components", f"{name}: server components (mean)", rows)


def trend_chart(runs: Sequence[tuple[str, str, Json]]) -> SafeString:
    """Each phase's client-side p95 across stored runs, oldest first; ``runs`` holds
    (label, started at, report)."""
    phases: dict[str, list[tuple[float, float | None]]] = {}
    for index, (_, _, report) in enumerate(runs):
        for phase, data in _ordered(report.get("phases", {})):
            phases.setdefault(phase, []).append((index, data.get("latency", {}).get("p95_ms")))
    colors = (CURRENT, P95, "#3f9c5a", "#b5485d", "#7b5ea7")
    lines = [
        Line(
            phase,
            tuple(points),
            colors[i % len(colors)],
            titles=tuple(
                f"{phase} p95 {format_ms(y)} in {runs[int(x)][0]} ({runs[int(x)][1]})"
                for x, y in points
                if y is not None
            ),
        )
        for i, (phase, points) in enumerate(phases.items())
    ]
    ticks = [(0.0, _short(runs[0][1])), (float(len(runs) - 1), _short(runs[-1][1]))] if runs else []
    return line_chart("trend", "p95 per phase across runs", lines, x_ticks=ticks)


def _ordered(phases: Json) -> list[tuple[str, Json]]:
    """Phases in the plan's order (a stored report's JSON keys come back sorted)."""
    order = [phase.value for phase in MEASURED_PHASES]
    return sorted(
        phases.items(),
        key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[0]),
    )


def _short(moment: str) -> str:
    """``MM-DD HH:MM`` of an ISO timestamp."""
    return moment[5:16].replace("T", " ")


def _cells(cells: Sequence[str]) -> SafeString:
    return format_html_join("", "<td>{}</td>", ((cell,) for cell in cells))


def _component_means(server: Json) -> dict[str, float]:
    return {
        name: float(stats["avg_ms"])
        for name, stats in server.get("components", {}).items()
        if name != TOTAL and stats.get("avg_ms") is not None
    }


def _runs(phase: Json, baseline: Json | None) -> list[tuple[str, Json, str]]:
    runs = [("this run", phase, CURRENT)]
    if baseline is not None:
        runs.append(("baseline", baseline, BASELINE))
    return runs


def _phases(report: Json | None) -> Json:
    return report.get("phases", {}) if report else {}


def _moment(value: object) -> str:
    """An ISO timestamp to the second, as UTC reads it."""
    return f"{str(value)[:19].replace('T', ' ')} UTC" if value else "-"


def _rps(phase: Json) -> str:
    value = phase.get("throughput_rps")
    return f"{value:.1f}" if isinstance(value, int | float) else "-"


def _ms(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "-"


def _num(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "-"
