"""Verdicts, thresholds and recommendations: pure functions of runs and statistics.

One predicate per kind of target decides whether a value meets it, for a single run
(:func:`judge_run`) and for a window (:func:`check_thresholds`), and whether its
recommendation fires, so they can never disagree at a boundary (docs/design.md §5).
"""

from __future__ import annotations

from .values import (
    Comparison,
    MemoryTrend,
    RunResult,
    RunVerdict,
    SampleComparison,
    ThresholdCheck,
    Thresholds,
    WindowStatistics,
)

STEADY_MEMORY_CORRELATION = 0.9


def is_below(actual: float | None, target: float) -> bool:
    """Latency and memory targets: met when strictly below; no data breaches nothing."""
    return actual is None or actual < target


def is_above(actual: float | None, target: float) -> bool:
    """Success-rate target: met when strictly above; no data breaches nothing."""
    return actual is None or actual > target


def judge_run(result: RunResult, thresholds: Thresholds) -> RunVerdict:
    """Whether one run met each per-run target: its duration, its memory increase and
    the duration of each component that has a target.

    The one decision of a run's verdict: the stored ``breached`` flag and what a caller
    reports about a run both come from here.
    """
    return RunVerdict(
        thresholds=thresholds,
        total_met=is_below(result.duration_ms, thresholds.total_ms),
        memory_increase_met=is_below(
            result.resources.memory_increase_mb, thresholds.memory_increase_mb
        ),
        components={
            name: all(is_below(c.duration_ms, target) for c in result.components if c.name == name)
            for name, target in thresholds.component_ms.items()
            if result.component(name) is not None
        },
    )


def check_thresholds(stats: WindowStatistics, thresholds: Thresholds) -> tuple[ThresholdCheck, ...]:
    """Each threshold against the window: p95 latencies, p95 memory increase, success
    rate."""
    checks = [
        ThresholdCheck(
            name="total_duration_p95_ms",
            description="p95 of successful runs' total duration",
            target=thresholds.total_ms,
            actual=stats.total.p95_ms,
            met=is_below(stats.total.p95_ms, thresholds.total_ms),
        )
    ]
    for component, target in sorted(thresholds.component_ms.items()):
        component_stats = stats.components.get(component)
        actual = component_stats.p95_ms if component_stats else None
        checks.append(
            ThresholdCheck(
                name=f"{component}_p95_ms",
                description=f"p95 of successful {component} durations",
                target=target,
                actual=actual,
                met=is_below(actual, target),
            )
        )
    memory = stats.resources.memory_increase_mb.p95
    checks.append(
        ThresholdCheck(
            name="memory_increase_p95_mb",
            description="p95 of the process RSS change per run",
            target=thresholds.memory_increase_mb,
            actual=memory,
            met=is_below(memory, thresholds.memory_increase_mb),
        )
    )
    checks.append(
        ThresholdCheck(
            name="success_rate",
            description="share of runs that succeeded",
            target=thresholds.success_rate,
            actual=stats.total.success_rate,
            met=is_above(stats.total.success_rate, thresholds.success_rate),
        )
    )
    return tuple(checks)


def recommend(
    stats: WindowStatistics,
    checks: tuple[ThresholdCheck, ...],
    *,
    regressions: Comparison | None,
    run_name: str | None,
) -> tuple[str, ...]:
    """Plain sentences: breaches, where the time goes, regressions (components the
    statistical test of ``regressions`` flagged against the previous window), memory
    growth."""
    if stats.total.count == 0:
        return ("No runs recorded in the window; nothing to assess.",)
    sentences = [_breach_sentence(check) for check in checks if not check.met]
    if regressions is not None:
        sentences += [
            regression_sentence(regressions, sample)
            for sample in regressions.components
            if sample.regression
        ]
    sentences += [_memory_sentence(t) for t in stats.memory_trends if _is_steady_growth(t)]
    if sentences:
        slowest = _slowest_component_sentence(stats, run_name)
        if slowest:
            sentences.append(slowest)
        return tuple(sentences)
    return ("Performance within acceptable thresholds.",)


def _breach_sentence(check: ThresholdCheck) -> str:
    if check.name == "success_rate":
        return (
            f"Success rate is {check.actual:.1%}, below the {check.target:.0%} target: "
            "look at the failed runs' errors."
        )
    unit = "MB" if check.name.endswith("_mb") else "ms"
    return (
        f"The {check.description} is {check.actual:.0f} {unit}, not under the "
        f"{check.target:.0f} {unit} target."
    )


def regression_sentence(comparison: Comparison, sample: SampleComparison) -> str:
    """The recommendation: component, both sides, both medians, ratio with its interval and
    p-value, and the sample sizes."""
    sides = (
        f"release {comparison.candidate} against release {comparison.baseline}"
        if comparison.kind == "release"
        else f"the window {comparison.candidate} against the window {comparison.baseline}"
    )
    return (
        f"{sample.component} regressed in {sides}: median {sample.baseline_median_ms:.1f} ms "
        f"to {sample.candidate_median_ms:.1f} ms, ratio {sample.ratio:.2f} "
        f"({sample.confidence:.0%} interval {sample.ratio_low:.2f} to {sample.ratio_high:.2f}, "
        f"Mann-Whitney one-sided p = {sample.p_value:.2g}), {sample.baseline_runs} against "
        f"{sample.candidate_runs} runs."
    )


def _is_steady_growth(trend: MemoryTrend) -> bool:
    return (
        trend.growth_mb > 0
        and trend.correlation is not None
        and trend.correlation >= STEADY_MEMORY_CORRELATION
        and trend.growth_mb >= 1.0
    )


def _memory_sentence(trend: MemoryTrend) -> str:
    return (
        f"Memory of worker {trend.host}:{trend.pid} grew steadily by {trend.growth_mb:.1f} MB "
        f"over {trend.runs} runs: look for a leak."
    )


def _slowest_component_sentence(stats: WindowStatistics, run_name: str | None) -> str | None:
    total = stats.total.avg_ms
    candidates = {
        name: s.avg_ms
        for name, s in stats.components.items()
        if name != run_name and s.avg_ms is not None
    }
    if not candidates or not total:
        return None
    name = max(candidates, key=lambda n: (candidates[n] or 0.0, n))
    share = (candidates[name] or 0.0) / total
    return f"The slowest component is {name}, {share:.0%} of the average total duration."
