"""Client-side statistics of a phase's requests.

Percentiles are perfmetrics' (PostgreSQL's ``percentile_cont``), the definition the
server-side statistics and the metrics API use, so the figures compare.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from perfmetrics.statistics import percentile

from .values import LatencySummary, PhaseResult, PhaseSummary


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
