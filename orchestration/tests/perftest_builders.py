"""Builders of perftest reports and of the server-side statistics perftest reads from
perfmetrics."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from orchestration.perftest.report import report_to_json
from orchestration.perftest.runs import record_perftest_run
from orchestration.perftest.stats import summarize_phase
from orchestration.perftest.values import (
    MEASURED_PHASES,
    Check,
    LatencySummary,
    Phase,
    PhaseResult,
    PhaseSummary,
    Report,
    Sample,
    ServerStats,
)
from perfmetrics.values import DurationStats


def durations(
    p95: float,
    *,
    count: int = 10,
    successful: int | None = None,
    avg: float | None = None,
    p50: float | None = None,
    p99: float | None = None,
    high: float | None = None,
) -> DurationStats:
    """Statistics of ``count`` executions (all successful unless said); the latencies
    not given default to ``p95``."""
    successful = count if successful is None else successful
    return DurationStats(
        count=count,
        total_ms=p95 * count,
        successful=successful,
        success_rate=successful / count if count else None,
        avg_ms=p95 if avg is None else avg,
        min_ms=p95 if p50 is None else min(p50, p95),
        max_ms=p95 if high is None else high,
        p50_ms=p95 if p50 is None else p50,
        p95_ms=p95,
        p99_ms=p95 if p99 is None else p99,
        failed_avg_ms=None,
        failed_max_ms=None,
    )


def make_report(*, checks=None, comparison=()):
    phases = tuple(
        PhaseSummary(
            phase=name,
            concurrency=conc,
            requests=20,
            errors=0,
            success_rate=1.0,
            latency=LatencySummary(20, 11.0, 10.0, 19.5, 19.9, 20.0),
            throughput_rps=rps,
            wall_s=2.0,
            statuses={"200": 20},
        )
        for name, conc, rps in [
            ("baseline", 1, 9.0),
            ("pattern_recognition", 1, 8.0),
            ("metrics_endpoint", 1, 30.0),
            ("concurrent", 5, 20.0),
        ]
    )
    total = durations(9.0, count=20, avg=5.0, p50=5.0, p99=9.5, high=10.0)
    analysis = durations(4.0, count=20)
    return Report(
        label="pt-1",
        project_id="TEST-001",
        target_url="http://127.0.0.1:8000",
        started_server=True,
        dry_run=True,
        requests=20,
        concurrency=5,
        warmup=5,
        started_at=datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        finished_at=datetime(2026, 11, 30, 10, 1, tzinfo=UTC),
        phases=phases,
        server=(ServerStats("all", total, {"project_analysis": analysis}, 0.5),),
        checks=checks if checks is not None else (Check("a.check", True, 1.0, 0.95, "fine"),),
        compared_with="v1" if comparison else None,
        comparison=comparison,
    )


def store_run(report=None, **changes):
    """A stored test run of ``report`` (``make_report()`` by default) with ``changes``."""
    report = replace(report or make_report(), **changes)
    return record_perftest_run(report, report_to_json(report))


def phase_result(phase, *, scale: float = 1.0, count: int = 40, concurrency: int = 1):
    """A phase of ``count`` successful requests, 0.05 s apart, latencies spread from
    about 5 to 200 ms (times ``scale``)."""
    samples = tuple(
        Sample(200, (5 + (i * 37) % 195) * scale, offset_s=i * 0.05) for i in range(count)
    )
    return PhaseResult(phase=phase, concurrency=concurrency, wall_s=count * 0.05, samples=samples)


def make_charted_report(*, scale: float = 1.0, label: str = "pt-1", **changes):
    """``make_report`` with phases summarised from requests, so they have a histogram
    and a time line."""
    phases = tuple(
        summarize_phase(
            phase_result(phase, scale=scale, concurrency=4 if phase is Phase.CONCURRENT else 1)
        )
        for phase in MEASURED_PHASES
    )
    components = {
        "project_analysis": durations(9.0 * scale, avg=8.0 * scale),
        "full_pattern_analysis": durations(5.0 * scale, avg=4.0 * scale),
    }
    server = tuple(
        ServerStats(name, durations(15.0 * scale, avg=13.0 * scale), components, 0.5)
        for name in ("baseline", "pattern_recognition", "concurrent", "all")
    )
    return replace(make_report(**changes), label=label, phases=phases, server=server)
