"""Builders of the server-side statistics perftest reads from perfmetrics."""

from __future__ import annotations

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
