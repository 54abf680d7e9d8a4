"""``performance_metrics`` of the orchestrate response (docs/design.md §3.6): one TypedDict
and one builder.

This JSON is built on every orchestration, so it is built by hand rather than through
DRF's field machinery (which took several milliseconds for it); the OpenAPI schema is
generated from the same TypedDict, so the two cannot drift apart. Statistics and timings
use perfmetrics' presenters, the vocabulary of every endpoint that reports durations.
"""

from __future__ import annotations

from typing import Any, TypedDict

from perfmetrics.presenters import (
    ComponentTimingDict,
    DurationStatsDict,
    RunResourceUsageDict,
    present_component_timing,
    present_duration_stats,
    present_run_resources,
    schema_of,
)

from ..metric_names import PATTERN_ANALYSIS
from ..services.orchestrate import PerformanceSummary


class TargetsDict(TypedDict):
    total_ms: float
    pattern_analysis_ms: float
    memory_increase_mb: float


class ThresholdMetDict(TypedDict):
    """This run against the configured targets (the key names carry the default targets;
    ``thresholds_met`` covers every configured per-run threshold)."""

    total_under_2000ms: bool
    pattern_analysis_under_1000ms: bool
    memory_increase_under_100mb: bool
    thresholds_met: bool
    targets: TargetsDict


class PerformanceMetricsDict(TypedDict):
    """This run's timings and resources, the project's recent runs, and the verdict."""

    total_duration_ms: float
    component_timings: dict[str, ComponentTimingDict]
    instrumentation_overhead_ms: float
    resource_usage: RunResourceUsageDict
    pattern_analysis: DurationStatsDict | None
    total_orchestration: DurationStatsDict
    performance_threshold_met: ThresholdMetDict


PERFORMANCE_METRICS_SCHEMA: dict[str, Any] = {
    **schema_of(PerformanceMetricsDict),
    "nullable": True,
    "description": "Null when recording is switched off.",
}


def present_performance(summary: PerformanceSummary) -> PerformanceMetricsDict:
    run, verdict = summary.run, summary.verdict
    targets = verdict.thresholds
    return {
        "total_duration_ms": run.duration_ms,
        "component_timings": {c.name: present_component_timing(c) for c in run.components},
        "instrumentation_overhead_ms": run.overhead_ms,
        "resource_usage": present_run_resources(run.resources),
        "pattern_analysis": (
            present_duration_stats(summary.pattern_analysis)
            if summary.pattern_analysis is not None
            else None
        ),
        "total_orchestration": present_duration_stats(summary.total_orchestration),
        "performance_threshold_met": {
            "total_under_2000ms": verdict.total_met,
            "pattern_analysis_under_1000ms": verdict.component_met(PATTERN_ANALYSIS),
            "memory_increase_under_100mb": verdict.memory_increase_met,
            "thresholds_met": verdict.met,
            "targets": {
                "total_ms": targets.total_ms,
                "pattern_analysis_ms": targets.component_ms.get(PATTERN_ANALYSIS, 0.0),
                "memory_increase_mb": targets.memory_increase_mb,
            },
        },
    }
