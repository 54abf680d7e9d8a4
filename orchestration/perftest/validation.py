"""Pure checks of a test run: the thresholds of docs/design.md §5, no degradation under
concurrency, baseline regressions.

Threshold boundaries use the same predicates as the metrics endpoint
(``perfmetrics.analysis.is_below`` / ``is_above``), so a value passes here exactly
when the API reports its threshold as met.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from perfmetrics.analysis import is_above, is_below
from perfmetrics.values import Thresholds

from .values import (
    ORCHESTRATION_PHASES,
    TOTAL,
    Check,
    MetricChange,
    Phase,
    PhaseMetrics,
    PhaseSummary,
    ServerStats,
)

# Metrics a baseline comparison looks at, and whether a higher value is better.
COMPARED_METRICS: dict[str, bool] = {"p50_ms": False, "p95_ms": False, "throughput_rps": True}
# Open model: the share of the offered arrival rate the server must serve.
KEEP_UP = 0.9


def check_success_rates(
    phases: Iterable[PhaseSummary], thresholds: Thresholds
) -> tuple[Check, ...]:
    return tuple(
        Check(
            name=f"{phase.phase}.success_rate",
            passed=is_above(phase.success_rate, thresholds.success_rate),
            actual=phase.success_rate,
            target=thresholds.success_rate,
            detail=f"{phase.requests - phase.errors}/{phase.requests} requests succeeded, "
            f"must be above {thresholds.success_rate:.0%}",
        )
        for phase in phases
    )


def check_server(
    overall: ServerStats, thresholds: Thresholds, *, expected_runs: int
) -> tuple[Check, ...]:
    """Server-side p95 latencies and memory of the test run's own runs, and that every
    successful orchestration left a recorded successful run."""
    checks = [
        Check(
            name="server.runs_recorded",
            passed=overall.successful_runs == expected_runs,
            actual=float(overall.successful_runs),
            target=float(expected_runs),
            detail=f"{overall.successful_runs} successful runs recorded for "
            f"{expected_runs} successful orchestration responses",
        )
    ]
    targets = {TOTAL: thresholds.total_ms, **thresholds.component_ms}
    for name, target in targets.items():
        stats = overall.component(name)
        actual = stats.p95_ms if stats else None
        checks.append(
            Check(
                name=f"server.{name}.p95_ms",
                passed=is_below(actual, target),
                actual=actual,
                target=target,
                detail=f"p95 of {name} must be below {target:.0f} ms",
            )
        )
    memory = overall.memory_increase_p95_mb
    checks.append(
        Check(
            name="server.memory_increase.p95_mb",
            passed=is_below(memory, thresholds.memory_increase_mb),
            actual=memory,
            target=thresholds.memory_increase_mb,
            detail=f"p95 of the per-run RSS change must be below "
            f"{thresholds.memory_increase_mb:.0f} MB",
        )
    )
    return tuple(checks)


def check_degradation(
    sequential: PhaseSummary,
    concurrent: PhaseSummary,
    *,
    max_p95_factor: float,
    min_throughput_ratio: float = 1.0,
    offered_rate_per_s: float | None = None,
) -> tuple[Check, ...]:
    """Under concurrency throughput must reach ``min_throughput_ratio`` times the sequential
    one (1: not drop below it), and p95 may grow by at most ``max_p95_factor`` (both
    boundaries inclusive). In the open model (``offered_rate_per_s``) throughput must
    instead keep up with the arrivals: at least ``KEEP_UP`` of the offered rate."""
    if offered_rate_per_s is not None:
        return (
            _keep_up_check(concurrent, offered_rate_per_s),
            _p95_factor_check(sequential, concurrent, max_p95_factor),
        )
    seq_rps, conc_rps = sequential.throughput_rps, concurrent.throughput_rps
    required = seq_rps * min_throughput_ratio if seq_rps is not None else None
    throughput_ok = required is not None and conc_rps is not None and conc_rps >= required
    return (
        Check(
            name="concurrency.throughput",
            passed=throughput_ok,
            actual=conc_rps,
            target=required,
            detail=f"{_num(conc_rps)} req/s at concurrency {concurrent.concurrency} must be "
            f"at least {min_throughput_ratio:g}x the sequential {_num(seq_rps)} req/s "
            f"({sequential.phase})",
        ),
        _p95_factor_check(sequential, concurrent, max_p95_factor),
    )


def _keep_up_check(concurrent: PhaseSummary, offered: float) -> Check:
    required = offered * KEEP_UP
    rps = concurrent.throughput_rps
    return Check(
        name="concurrency.throughput",
        passed=rps is not None and rps >= required,
        actual=rps,
        target=required,
        detail=f"{_num(rps)} req/s served of {offered:g} req/s offered; at least "
        f"{KEEP_UP:.0%} must be served",
    )


def _p95_factor_check(
    sequential: PhaseSummary, concurrent: PhaseSummary, max_p95_factor: float
) -> Check:
    seq_p95, conc_p95 = sequential.latency.p95_ms, concurrent.latency.p95_ms
    factor = conc_p95 / seq_p95 if seq_p95 and conc_p95 is not None else None
    return Check(
        name="concurrency.p95_factor",
        passed=factor is not None and factor <= max_p95_factor,
        actual=factor,
        target=max_p95_factor,
        detail=f"p95 at concurrency is {_num(factor)}x the sequential p95 "
        f"(at most {max_p95_factor:g}x allowed)",
    )


def check_run(
    phases: Mapping[str, PhaseSummary],
    overall: ServerStats,
    thresholds: Thresholds,
    *,
    max_p95_factor: float,
    min_throughput_ratio: float = 1.0,
    offered_rate_per_s: float | None = None,
) -> tuple[Check, ...]:
    """Every check of a finished test run; ``phases`` holds every measured phase."""
    expected = sum(
        phases[p].requests - phases[p].errors for p in ORCHESTRATION_PHASES if p in phases
    )
    return (
        *check_success_rates(phases.values(), thresholds),
        *check_server(overall, thresholds, expected_runs=expected),
        *check_degradation(
            phases[Phase.PATTERN],
            phases[Phase.CONCURRENT],
            max_p95_factor=max_p95_factor,
            min_throughput_ratio=min_throughput_ratio,
            offered_rate_per_s=offered_rate_per_s,
        ),
    )


def percent_change(baseline: float | None, current: float | None) -> float | None:
    """Relative change in percent; None when either side is missing or the baseline is 0."""
    if baseline is None or current is None or baseline == 0:
        return None
    return (current - baseline) * 100 / baseline


def compare_with_baseline(
    current: Mapping[str, PhaseMetrics],
    baseline: Mapping[str, PhaseMetrics],
    *,
    tolerance_percent: float,
) -> tuple[MetricChange, ...]:
    """Per phase present in both: a latency regresses when it grew by more than the
    tolerance, throughput when it fell by more than the tolerance."""
    changes = []
    for phase in (p for p in current if p in baseline):
        for metric, higher_is_better in COMPARED_METRICS.items():
            before = getattr(baseline[phase], metric)
            after = getattr(current[phase], metric)
            change = percent_change(before, after)
            worse = None if change is None else (-change if higher_is_better else change)
            changes.append(
                MetricChange(
                    phase=phase,
                    metric=metric,
                    baseline=before,
                    current=after,
                    change_percent=change,
                    regressed=worse is not None and worse > tolerance_percent,
                )
            )
    return tuple(changes)


def regression_checks(
    changes: Iterable[MetricChange], *, baseline_name: str, tolerance_percent: float
) -> tuple[Check, ...]:
    return tuple(
        Check(
            name=f"baseline.{change.phase}.{change.metric}",
            passed=not change.regressed,
            actual=change.change_percent,
            target=tolerance_percent,
            detail=f"{_num(change.baseline)} -> {_num(change.current)} "
            f"({_percent(change.change_percent)} vs baseline {baseline_name!r}, "
            f"tolerance {tolerance_percent:g}%)",
        )
        for change in changes
    )


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"
