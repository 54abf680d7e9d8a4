"""JSON of perfmetrics' values: the one place that names their keys on the wire.

Each shape is a TypedDict with one builder; the OpenAPI schema is generated from the
same TypedDict (``schema_of``), so the documented shape cannot drift from the built one.
The statistics vocabulary (``total_calls``, ``avg_duration_ms``, ...) is shared by every
endpoint that reports durations (docs/design.md §5).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from drf_spectacular.plumbing import resolve_type_hint
from rest_framework.fields import DateTimeField

from .values import (
    Comparison,
    ComponentResult,
    DurationStats,
    MetricsReport,
    RegressionReport,
    ResourceStats,
    ResourceUsage,
    SampleComparison,
    Spread,
    ThresholdCheck,
)

# RSS is a process-wide figure: other requests of the same worker move it too.
MEMORY_SCOPE = "process"

_DATETIME = DateTimeField()


class DurationStatsDict(TypedDict):
    """Counts over every call; durations over successful calls, failed ones apart."""

    total_calls: int
    successful_calls: int
    failed_calls: int
    success_rate: float | None
    sum_duration_ms: float
    avg_duration_ms: float | None
    min_duration_ms: float | None
    max_duration_ms: float | None
    p50_duration_ms: float | None
    p95_duration_ms: float | None
    p99_duration_ms: float | None
    failed_avg_duration_ms: float | None
    failed_max_duration_ms: float | None


class SpreadDict(TypedDict):
    avg: float | None
    p95: float | None
    max: float | None


class ResourceStatsDict(TypedDict):
    """Spread of each resource over the window's runs; memory is per worker process."""

    memory_scope: str
    memory_increase_mb: SpreadDict
    memory_usage_mb: SpreadDict
    cpu_time_ms: SpreadDict
    db_queries: SpreadDict
    db_time_ms: SpreadDict
    instrumentation_overhead_ms: SpreadDict


class WindowDict(TypedDict):
    minutes: int | None
    last_runs: int | None
    run_name: str | None
    release: str | None
    since: str | None
    until: str


class ThresholdCheckDict(TypedDict):
    description: str
    target: float
    actual: float | None
    met: bool


class MetricsReportDict(TypedDict):
    """Statistics of a window of runs, its threshold checks and recommendations.

    ``component_metrics`` holds each component by name and the run itself under its
    run name (``run`` when the window spans every run name).
    """

    project_id: str | None
    window: WindowDict
    runs_analyzed: int
    total_execution_time_ms: float
    component_metrics: dict[str, DurationStatsDict]
    resource_usage: ResourceStatsDict
    performance_thresholds: dict[str, ThresholdCheckDict]
    threshold_met: bool
    recommendations: list[str]


class ComponentTimingDict(TypedDict):
    duration_ms: float
    cpu_ms: float
    parent: str
    success: bool
    error: str


class RunResourceUsageDict(TypedDict):
    """One run's resource deltas; memory is the worker process's RSS."""

    memory_usage_mb: float
    memory_increase_mb: float
    memory_scope: str
    cpu_time_ms: float
    cpu_user_ms: float
    cpu_system_ms: float
    db_queries: int
    db_time_ms: float


class SampleComparisonDict(TypedDict):
    """One component, baseline against candidate: medians of successful durations, their
    ratio with its interval, the one-sided Mann-Whitney p-value and the verdict."""

    component: str
    baseline_runs: int
    candidate_runs: int
    baseline_median_ms: float
    candidate_median_ms: float
    ratio: float
    ratio_low: float
    ratio_high: float
    confidence: float
    p_value: float
    significant: bool
    regression: bool


class ComparisonDict(TypedDict):
    kind: str
    baseline: str
    candidate: str
    components: list[SampleComparisonDict]


class RegressionDict(SampleComparisonDict):
    """A regression found: the comparison it comes from and its recommendation sentence."""

    kind: str
    baseline: str
    candidate: str
    recommendation: str


class RegressionReportDict(TypedDict):
    """Every comparison made (the latest release against the one before; the recent window
    against the previous one) and a sentence for each regression found."""

    run_name: str | None
    project_id: str | None
    threshold_percent: float
    alpha: float
    comparisons: list[ComparisonDict]
    regressions: list[RegressionDict]
    recommendations: list[str]


def schema_of(shape: type) -> dict[str, Any]:
    """The OpenAPI schema of a TypedDict, for ``extend_schema`` and ``extend_schema_field``."""
    schema: dict[str, Any] = resolve_type_hint(shape)  # type: ignore[no-untyped-call]
    return schema


def present_duration_stats(stats: DurationStats) -> DurationStatsDict:
    return {
        "total_calls": stats.count,
        "successful_calls": stats.successful,
        "failed_calls": stats.failed,
        "success_rate": stats.success_rate,
        "sum_duration_ms": stats.total_ms,
        "avg_duration_ms": stats.avg_ms,
        "min_duration_ms": stats.min_ms,
        "max_duration_ms": stats.max_ms,
        "p50_duration_ms": stats.p50_ms,
        "p95_duration_ms": stats.p95_ms,
        "p99_duration_ms": stats.p99_ms,
        "failed_avg_duration_ms": stats.failed_avg_ms,
        "failed_max_duration_ms": stats.failed_max_ms,
    }


def present_component_timing(component: ComponentResult) -> ComponentTimingDict:
    return {
        "duration_ms": component.duration_ms,
        "cpu_ms": component.cpu_ms,
        "parent": component.parent,
        "success": component.success,
        "error": component.error,
    }


def present_run_resources(usage: ResourceUsage) -> RunResourceUsageDict:
    return {
        "memory_usage_mb": usage.memory_usage_mb,
        "memory_increase_mb": usage.memory_increase_mb,
        "memory_scope": MEMORY_SCOPE,
        "cpu_time_ms": usage.cpu_time_ms,
        "cpu_user_ms": usage.cpu_user_ms,
        "cpu_system_ms": usage.cpu_system_ms,
        "db_queries": usage.db_queries,
        "db_time_ms": usage.db_time_ms,
    }


def present_report(report: MetricsReport) -> MetricsReportDict:
    stats = report.statistics
    window = stats.window
    components = {name: present_duration_stats(s) for name, s in stats.components.items()}
    components[window.name or "run"] = present_duration_stats(stats.total)
    return {
        "project_id": report.project_id,
        "window": {
            "minutes": window.minutes,
            "last_runs": window.last_runs,
            "run_name": window.name,
            "release": window.release,
            "since": _datetime(stats.since),
            "until": _DATETIME.to_representation(stats.until),
        },
        "runs_analyzed": stats.total.count,
        "total_execution_time_ms": stats.total.total_ms,
        "component_metrics": components,
        "resource_usage": _present_resources(stats.resources),
        "performance_thresholds": {c.name: _present_check(c) for c in report.checks},
        "threshold_met": report.threshold_met,
        "recommendations": list(report.recommendations),
    }


def _present_resources(resources: ResourceStats) -> ResourceStatsDict:
    return {
        "memory_scope": MEMORY_SCOPE,
        "memory_increase_mb": _present_spread(resources.memory_increase_mb),
        "memory_usage_mb": _present_spread(resources.memory_usage_mb),
        "cpu_time_ms": _present_spread(resources.cpu_time_ms),
        "db_queries": _present_spread(resources.db_queries),
        "db_time_ms": _present_spread(resources.db_time_ms),
        "instrumentation_overhead_ms": _present_spread(resources.overhead_ms),
    }


def _present_spread(spread: Spread) -> SpreadDict:
    return {"avg": spread.avg, "p95": spread.p95, "max": spread.max}


def _present_check(check: ThresholdCheck) -> ThresholdCheckDict:
    return {
        "description": check.description,
        "target": check.target,
        "actual": check.actual,
        "met": check.met,
    }


def _datetime(value: datetime | None) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def present_regressions(report: RegressionReport) -> RegressionReportDict:
    from .analysis import regression_sentence

    return {
        "run_name": report.run_name,
        "project_id": report.project_id,
        "threshold_percent": report.threshold_percent,
        "alpha": report.alpha,
        "comparisons": [_present_comparison(c) for c in report.comparisons],
        "regressions": [
            {
                **_present_sample(sample),
                "kind": comparison.kind,
                "baseline": comparison.baseline,
                "candidate": comparison.candidate,
                "recommendation": regression_sentence(comparison, sample),
            }
            for comparison in report.comparisons
            for sample in comparison.components
            if sample.regression
        ],
        "recommendations": list(report.recommendations),
    }


def _present_comparison(comparison: Comparison) -> ComparisonDict:
    return {
        "kind": comparison.kind,
        "baseline": comparison.baseline,
        "candidate": comparison.candidate,
        "components": [_present_sample(s) for s in comparison.components],
    }


def _present_sample(sample: SampleComparison) -> SampleComparisonDict:
    return {
        "component": sample.component,
        "baseline_runs": sample.baseline_runs,
        "candidate_runs": sample.candidate_runs,
        "baseline_median_ms": sample.baseline_median_ms,
        "candidate_median_ms": sample.candidate_median_ms,
        "ratio": sample.ratio,
        "ratio_low": sample.ratio_low,
        "ratio_high": sample.ratio_high,
        "confidence": sample.confidence,
        "p_value": sample.p_value,
        "significant": sample.significant,
        "regression": sample.regression,
    }
