"""Pure statistics: percentiles, phase summaries, server-side component statistics."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from .values import (
    TOTAL,
    ComponentRow,
    ComponentStats,
    LatencySummary,
    PhaseResult,
    PhaseSummary,
    RunRow,
    ServerStats,
)

MB = 1024 * 1024


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` (0..1) percentile with linear interpolation between the closest
    ranks, as PostgreSQL's ``percentile_cont`` computes it; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def summarize_latencies(values: Sequence[float]) -> LatencySummary:
    return LatencySummary(
        count=len(values),
        mean_ms=sum(values) / len(values) if values else None,
        p50_ms=percentile(values, 0.50),
        p95_ms=percentile(values, 0.95),
        p99_ms=percentile(values, 0.99),
        max_ms=max(values) if values else None,
    )


def summarize_phase(result: PhaseResult) -> PhaseSummary:
    """Counts over every request; latency and throughput over the successful ones."""
    ok = [s.latency_ms for s in result.samples if s.ok]
    failures = [s for s in result.samples if not s.ok]
    requests = len(result.samples)
    return PhaseSummary(
        phase=result.phase.value,
        concurrency=result.concurrency,
        requests=requests,
        errors=len(failures),
        success_rate=len(ok) / requests if requests else None,
        latency=summarize_latencies(ok),
        throughput_rps=len(ok) / result.wall_s if result.wall_s > 0 else None,
        wall_s=result.wall_s,
        statuses={str(k): v for k, v in sorted(Counter(s.status for s in result.samples).items())},
        first_error=next((s.error for s in failures if s.error), ""),
    )


def summarize_component(name: str, durations: Iterable[tuple[float, bool]]) -> ComponentStats:
    """Statistics of one component's executions: counts over all, latency over successes."""
    pairs = list(durations)
    ok = [duration for duration, success in pairs if success]
    return ComponentStats(
        name=name,
        count=len(pairs),
        successful=len(ok),
        avg_ms=sum(ok) / len(ok) if ok else None,
        p50_ms=percentile(ok, 0.50),
        p95_ms=percentile(ok, 0.95),
        p99_ms=percentile(ok, 0.99),
        max_ms=max(ok) if ok else None,
    )


def summarize_server(
    phase: str, runs: Sequence[RunRow], components: Iterable[ComponentRow]
) -> ServerStats:
    """The runs' own duration as ``total_orchestration``, then each component by name.

    ``components`` may hold rows of other runs; only those of ``runs`` count.
    """
    run_ids = {run.run_id for run in runs}
    by_name: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for row in components:
        if row.run_id in run_ids:
            by_name[row.name].append((row.duration_ms, row.success))
    deltas = [run.rss_delta_bytes / MB for run in runs]
    return ServerStats(
        phase=phase,
        runs=len(runs),
        successful_runs=sum(1 for run in runs if run.success),
        memory_increase_p95_mb=percentile(deltas, 0.95),
        components=(
            summarize_component(TOTAL, ((r.duration_ms, r.success) for r in runs)),
            *(summarize_component(name, by_name[name]) for name in sorted(by_name)),
        ),
    )
