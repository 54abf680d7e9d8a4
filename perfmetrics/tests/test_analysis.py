from __future__ import annotations

from datetime import UTC, datetime

import pytest

from perfmetrics.analysis import check_thresholds, recommend
from perfmetrics.values import (
    DurationStats,
    MemoryTrend,
    ResourceStats,
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
    previous: DurationStats | None = None,
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
        previous_total=previous,
        memory_trends=trends,
    )


def sentences(stats: WindowStatistics) -> tuple[str, ...]:
    checks = check_thresholds(stats, THRESHOLDS)
    return recommend(
        stats, checks, regression_percent=20.0, min_runs=10, run_name="total_orchestration"
    )


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


@pytest.mark.parametrize(("previous_p50", "fires"), [(40.0, True), (41.0, True), (42.0, False)])
def test_a_median_slower_by_more_than_the_regression_percent_is_reported(previous_p50, fires):
    stats = statistics(total=durations(p50=50.0), previous=durations(p50=previous_p50))

    assert any("regressed" in s for s in sentences(stats)) is fires


def test_no_regression_is_claimed_from_too_few_runs():
    stats = statistics(total=durations(p50=50.0, count=9), previous=durations(p50=10.0))

    assert not any("regressed" in s for s in sentences(stats))


def test_steadily_growing_memory_of_a_worker_is_reported():
    growing = MemoryTrend(host="h", pid=7, runs=30, growth_mb=12.5, correlation=0.97)
    noisy = MemoryTrend(host="h", pid=8, runs=30, growth_mb=12.5, correlation=0.3)

    said = sentences(statistics(trends=(growing, noisy)))

    assert "Memory of worker h:7 grew steadily by 12.5 MB over 30 runs: look for a leak." in said
    assert not any("h:8" in s for s in said)
