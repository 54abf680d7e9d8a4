from __future__ import annotations

from datetime import UTC, datetime

import pytest

from perfmetrics.analysis import check_thresholds, recommend
from perfmetrics.values import (
    Comparison,
    DurationStats,
    MemoryTrend,
    ResourceStats,
    SampleComparison,
    Spread,
    Thresholds,
    Window,
    WindowStatistics,
)

THRESHOLDS = Thresholds(
    total_ms=2000.0,
    component_ms={"full_pattern_analysis": 1000.0},
    memory_increase_mb=100.0,
    success_rate=0.95,
)


def durations(
    p95: float = 100.0,
    p50: float = 50.0,
    count: int = 100,
    successful: int | None = None,
    avg: float | None = None,
) -> DurationStats:
    ok = count if successful is None else successful
    return DurationStats(
        count=count,
        total_ms=p50 * count,
        successful=ok,
        success_rate=ok / count if count else None,
        avg_ms=avg if avg is not None else p50,
        min_ms=1.0,
        max_ms=p95 * 1.1,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p95,
        failed_avg_ms=None,
        failed_max_ms=None,
    )


def statistics(
    *,
    total: DurationStats | None = None,
    pattern_p95: float = 100.0,
    memory_p95: float = 1.0,
    trends: tuple[MemoryTrend, ...] = (),
) -> WindowStatistics:
    spread = Spread(1.0, 1.0, 1.0)
    total = total or durations()
    return WindowStatistics(
        window=Window(minutes=60, name="total_orchestration"),
        since=None,
        until=datetime(2026, 1, 1, tzinfo=UTC),
        total=total,
        components={
            "full_pattern_analysis": durations(p95=pattern_p95, p50=pattern_p95 / 2, avg=30.0),
            "project_analysis": durations(avg=10.0),
        },
        resources=ResourceStats(
            Spread(1.0, memory_p95, memory_p95), spread, spread, spread, spread, spread
        ),
        memory_trends=trends,
    )


def sentences(stats: WindowStatistics, regressions: Comparison | None = None) -> tuple[str, ...]:
    checks = check_thresholds(stats, THRESHOLDS)
    return recommend(stats, checks, regressions=regressions, run_name="total_orchestration")


def met(stats: WindowStatistics) -> dict[str, bool]:
    return {c.name: c.met for c in check_thresholds(stats, THRESHOLDS)}


@pytest.mark.parametrize(("p95", "expected"), [(1999.9, True), (2000.0, False), (2000.1, False)])
def test_total_duration_meets_its_threshold_only_strictly_below_it(p95, expected):
    stats = statistics(total=durations(p95=p95))

    assert met(stats)["total_duration_p95_ms"] is expected
    fired = any("total duration" in s for s in sentences(stats))
    assert fired is not expected


@pytest.mark.parametrize(("p95", "expected"), [(999.0, True), (1000.0, False)])
def test_pattern_analysis_meets_its_threshold_only_strictly_below_it(p95, expected):
    stats = statistics(pattern_p95=p95)

    assert met(stats)["full_pattern_analysis_p95_ms"] is expected
    assert any("full_pattern_analysis durations" in s for s in sentences(stats)) is not expected


@pytest.mark.parametrize(("p95", "expected"), [(99.9, True), (100.0, False)])
def test_memory_increase_meets_its_threshold_only_strictly_below_it(p95, expected):
    stats = statistics(memory_p95=p95)

    assert met(stats)["memory_increase_p95_mb"] is expected
    assert any("RSS change" in s for s in sentences(stats)) is not expected


@pytest.mark.parametrize(("successful", "expected"), [(96, True), (95, False), (94, False)])
def test_success_rate_meets_its_threshold_only_strictly_above_it(successful, expected):
    stats = statistics(total=durations(successful=successful))

    assert met(stats)["success_rate"] is expected
    assert any(s.startswith("Success rate") for s in sentences(stats)) is not expected


def test_a_healthy_window_says_so_and_only_that():
    assert sentences(statistics()) == ("Performance within acceptable thresholds.",)


def test_an_empty_window_says_there_is_nothing_to_assess():
    empty = DurationStats(0, 0.0, 0, None, None, None, None, None, None, None, None, None)
    stats = statistics(total=empty)

    assert all(met(stats).values())
    assert sentences(stats) == ("No runs recorded in the window; nothing to assess.",)


def test_a_breach_names_the_slowest_component_and_its_share():
    stats = statistics(total=durations(p95=2500.0, avg=60.0))

    assert sentences(stats)[-1] == (
        "The slowest component is full_pattern_analysis, 50% of the average total duration."
    )


def compared(*, regression: bool) -> Comparison:
    sample = SampleComparison(
        component="total_orchestration",
        baseline_runs=100,
        candidate_runs=120,
        baseline_median_ms=100.0,
        candidate_median_ms=125.0,
        ratio=1.25,
        ratio_low=1.18,
        ratio_high=1.32,
        confidence=0.95,
        p_value=1e-9,
        significant=True,
        regression=regression,
    )
    return Comparison(kind="window", baseline="A", candidate="B", components=(sample,))


def test_a_regression_the_test_flagged_is_a_recommendation_with_its_evidence():
    said = sentences(statistics(), compared(regression=True))

    assert said[0] == (
        "total_orchestration regressed in the window B against the window A: median 100.0 ms "
        "to 125.0 ms, ratio 1.25 (95% interval 1.18 to 1.32, Mann-Whitney one-sided "
        "p = 1e-09), 100 against 120 runs."
    )


def test_a_comparison_without_a_regression_adds_nothing():
    assert sentences(statistics(), compared(regression=False)) == (
        "Performance within acceptable thresholds.",
    )


def test_steadily_growing_memory_of_a_worker_is_reported():
    growing = MemoryTrend(host="h", pid=7, runs=30, growth_mb=12.5, correlation=0.97)
    noisy = MemoryTrend(host="h", pid=8, runs=30, growth_mb=12.5, correlation=0.3)

    said = sentences(statistics(trends=(growing, noisy)))

    assert "Memory of worker h:7 grew steadily by 12.5 MB over 30 runs: look for a leak." in said
    assert not any("h:8" in s for s in said)
