"""The report as text tables and as JSON, and the JSON read back for baselines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from perfmetrics.values import DurationStats

from .config import PerftestConfig
from .values import (
    ALL_PHASES,
    Check,
    MetricChange,
    PhaseMetrics,
    PhaseSummary,
    Report,
    ServerStats,
)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the first column left-aligned, the rest
    right-aligned (they hold numbers)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def phase_table(phases: Sequence[PhaseSummary]) -> str:
    headers = ["phase", "conc", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    rows = [
        [
            p.phase,
            str(p.concurrency),
            str(p.requests),
            str(p.errors),
            fmt(p.latency.p50_ms),
            fmt(p.latency.p95_ms),
            fmt(p.latency.p99_ms),
            fmt(p.latency.max_ms),
            fmt(p.throughput_rps),
        ]
        for p in phases
    ]
    return render_table([*headers, "req/s"], rows)


def server_table(server: Sequence[ServerStats]) -> str:
    headers = ["phase / component", "count", "ok", "avg ms", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    rows: list[list[str]] = []
    for stats in server:
        rows.append(
            [
                f"{stats.phase} ({stats.runs} runs, memory +{fmt(stats.memory_increase_p95_mb)} "
                "MB p95)",
                *[""] * 7,
            ]
        )
        rows += [_component_row(name, durations) for name, durations in stats.by_name().items()]
    return render_table(headers, rows)


def _component_row(name: str, stats: DurationStats) -> list[str]:
    return [
        f"  {name}",
        str(stats.count),
        str(stats.successful),
        fmt(stats.avg_ms),
        fmt(stats.p50_ms),
        fmt(stats.p95_ms),
        fmt(stats.p99_ms),
        fmt(stats.max_ms),
    ]


def comparison_table(changes: Sequence[MetricChange]) -> str:
    rows = [
        [
            f"{c.phase}.{c.metric}",
            fmt(c.baseline, 2),
            fmt(c.current, 2),
            "-" if c.change_percent is None else f"{c.change_percent:+.1f}%",
            "REGRESSED" if c.regressed else "ok",
        ]
        for c in changes
    ]
    return render_table(["metric", "baseline", "current", "change", ""], rows)


def checks_table(checks: Sequence[Check]) -> str:
    rows = [
        [c.name, "PASS" if c.passed else "FAIL", fmt(c.actual, 2), fmt(c.target, 2)] for c in checks
    ]
    return render_table(["check", "result", "actual", "target"], rows)


def describe_load(plan: Report | PerftestConfig) -> str:
    """How much each phase sends and how the concurrent phase loads the server."""
    per_phase = (
        f"{plan.requests} requests per phase"
        if plan.requests is not None
        else f"{plan.duration_s:g} s per phase"
    )
    if plan.rate_per_s is not None:
        load = (
            f"concurrent phase at {plan.rate_per_s:g} req/s "
            f"(open model, up to {plan.concurrency} connections)"
        )
    else:
        load = f"concurrency {plan.concurrency}"
    ramp = f", {plan.ramp_s:g} s ramp-up" if plan.ramp_s else ""
    return f"{per_phase}, {load}{ramp}"


def render_report(report: Report) -> str:
    server = "server started by perftest" if report.started_server else "running server"
    mode = "dry-run requests" if report.dry_run else "MUTATING requests"
    parts = [
        f"Performance test {report.label}: project {report.project_id} at {report.target_url} "
        f"({server}), {mode}, {describe_load(report)}, warm-up {report.warmup}",
        "",
        "Client-side latency per phase (successful requests)",
        phase_table(report.phases),
        "",
        "Server-side statistics of this test run's recorded runs",
        server_table(report.server),
    ]
    if report.compared_with is not None:
        parts += [
            "",
            f"Against baseline {report.compared_with!r}",
            comparison_table(report.comparison),
        ]
    parts += ["", "Checks", checks_table(report.checks), "", _verdict(report)]
    return "\n".join(parts)


def _verdict(report: Report) -> str:
    if report.passed:
        return f"PASSED: all {len(report.checks)} checks passed."
    failed = report.failed_checks
    lines = [f"FAILED: {len(failed)} of {len(report.checks)} checks failed:"]
    lines += [f"  - {check.name}: {check.detail}" for check in failed]
    return "\n".join(lines)


def report_to_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data; phases and server statistics keyed by phase."""
    return {
        "label": report.label,
        "project_id": report.project_id,
        "target_url": report.target_url,
        "started_server": report.started_server,
        "dry_run": report.dry_run,
        "requests": report.requests,
        "duration_s": report.duration_s,
        "rate_per_s": report.rate_per_s,
        "ramp_s": report.ramp_s,
        "concurrency": report.concurrency,
        "warmup": report.warmup,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        "phases": {p.phase: asdict(p) for p in report.phases},
        "server": {s.phase: _server_json(s) for s in report.server},
        "checks": [asdict(c) for c in report.checks],
        "options": dict(report.options),
        "release": report.release,
        "compared_with": report.compared_with,
        "comparison": [asdict(c) for c in report.comparison],
        "comparison_passed": report.comparison_passed,
        "passed": report.passed,
        "failed_checks": [c.name for c in report.failed_checks],
    }


def _server_json(stats: ServerStats) -> dict[str, Any]:
    """The keys of earlier reports; each component holds perfmetrics' statistics."""
    return {
        "phase": stats.phase,
        "runs": stats.runs,
        "successful_runs": stats.successful_runs,
        "memory_increase_p95_mb": stats.memory_increase_p95_mb,
        "components": {
            name: {"name": name, **asdict(durations)} for name, durations in stats.by_name().items()
        },
    }


def metrics_from_json(data: Any) -> dict[str, PhaseMetrics]:
    """The per-phase metrics of a stored report; raises ValueError when it is not one."""
    try:
        phases: Mapping[str, Any] = data["phases"]
        return {
            name: PhaseMetrics(
                p50_ms=_number(phase["latency"]["p50_ms"]),
                p95_ms=_number(phase["latency"]["p95_ms"]),
                throughput_rps=_number(phase["throughput_rps"]),
            )
            for name, phase in phases.items()
            if name != ALL_PHASES
        }
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a perftest report ({type(exc).__name__}: {exc})") from None


def metrics_of(phases: Sequence[PhaseSummary]) -> dict[str, PhaseMetrics]:
    return {
        p.phase: PhaseMetrics(
            p50_ms=p.latency.p50_ms, p95_ms=p.latency.p95_ms, throughput_rps=p.throughput_rps
        )
        for p in phases
    }


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)
