"""Client-side statistics of a phase's requests.

Percentiles are perfmetrics' (PostgreSQL's ``percentile_cont``), the definition the
server-side statistics and the metrics API use, so the figures compare.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence

from perfmetrics.charts import nice_ceiling
from perfmetrics.statistics import percentile

from .values import HistogramBin, LatencySummary, PhaseResult, PhaseSummary, Sample, TimeBucket

# Histogram bin edges: the R5 series (five per decade, each about 1.58x the last) from
# 0.1 ms to 100 s, the same for every run so a run and its baseline share bins.
HISTOGRAM_EDGES_MS = (
    *(float(f"{10 ** (k / 5) * 10**decade:.2g}") for decade in range(-1, 5) for k in range(5)),
    100_000.0,
)
# A phase's time line has at most this many buckets.
MAX_TIME_BUCKETS = 40
MIN_PER_BUCKET = 5


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
        histogram=latency_histogram(ok),
        timeline=time_line(result.samples, wall_s=result.wall_s),
        max_wait_ms=max((s.wait_ms for s in result.samples), default=None)
        if any(s.wait_ms for s in result.samples)
        else None,
    )


def latency_histogram(latencies: Sequence[float]) -> tuple[HistogramBin, ...]:
    """Counts per log-scale bin, from the first non-empty bin to the last; values beyond
    the edges fall in the outermost bins."""
    if not latencies:
        return ()
    edges = HISTOGRAM_EDGES_MS
    counts = [0] * (len(edges) - 1)
    for value in latencies:
        index = bisect.bisect_right(edges, value) - 1
        counts[min(max(index, 0), len(counts) - 1)] += 1
    used = [i for i, count in enumerate(counts) if count]
    return tuple(
        HistogramBin(lower_ms=edges[i], upper_ms=edges[i + 1], count=counts[i])
        for i in range(used[0], used[-1] + 1)
    )


def time_line(samples: Sequence[Sample], *, wall_s: float) -> tuple[TimeBucket, ...]:
    """The phase cut into at most ``MAX_TIME_BUCKETS`` buckets of a round width."""
    if not samples:
        return ()
    span = max(wall_s, max(s.offset_s for s in samples), 1e-3)
    # Wide enough for a few requests each on average, or rates and percentiles are noise.
    width = nice_ceiling(max(span / MAX_TIME_BUCKETS, span * MIN_PER_BUCKET / len(samples)))
    buckets: list[list[Sample]] = [[] for _ in range(max(1, math.ceil(span / width)))]
    for sample in samples:
        buckets[min(int(sample.offset_s / width), len(buckets) - 1)].append(sample)
    return tuple(
        # The last bucket covers only what is left of the phase.
        _bucket(i * width, min(width, span - i * width) or width, bucket)
        for i, bucket in enumerate(buckets)
    )


def _bucket(start_s: float, width_s: float, samples: Sequence[Sample]) -> TimeBucket:
    ok = [s.latency_ms for s in samples if s.ok]
    return TimeBucket(
        start_s=round(start_s, 6),
        width_s=width_s,
        requests=len(samples),
        errors=len(samples) - len(ok),
        p50_ms=percentile(ok, 0.50),
        p95_ms=percentile(ok, 0.95),
        throughput_rps=len(ok) / width_s,
    )
