from __future__ import annotations

import pytest

from orchestration.perftest.validation import (
    check_degradation,
    check_run,
    check_server,
    check_success_rates,
    compare_with_baseline,
    percent_change,
    regression_checks,
)
from orchestration.perftest.values import (
    LatencySummary,
    PhaseMetrics,
    PhaseSummary,
    ServerStats,
)
from orchestration.tests.perftest_builders import durations
from perfmetrics.values import Thresholds

THRESHOLDS = Thresholds(
    total_ms=2000.0,
    component_ms={"full_pattern_analysis": 1000.0},
    memory_increase_mb=100.0,
    success_rate=0.95,
)


def phase(name="pattern_recognition", *, p95=100.0, rps=10.0, requests=20, errors=0, conc=1):
    return PhaseSummary(
        phase=name,
        concurrency=conc,
        requests=requests,
        errors=errors,
        success_rate=(requests - errors) / requests,
        latency=LatencySummary(requests - errors, p95, p95, p95, p95, p95),
        throughput_rps=rps,
        wall_s=1.0,
    )


def server(*, total=100.0, pattern=50.0, memory=1.0, successful=60):
    components = {} if pattern is None else {"full_pattern_analysis": durations(pattern)}
    return ServerStats(
        phase="all",
        total=durations(total, count=successful),
        components=components,
        memory_increase_p95_mb=memory,
    )


def by_name(checks):
    return {check.name: check for check in checks}


@pytest.mark.parametrize(
    ("errors", "passed"), [(0, True), (19, False), (20, False), (1, True), (2, False)]
)
def test_success_rate_must_be_strictly_above_the_threshold(errors, passed):
    # 1 error in 40 is 97.5%, 2 in 40 exactly 95%: not above the target.
    summary = phase("baseline", requests=40, errors=errors)

    (check,) = check_success_rates([summary], THRESHOLDS)

    assert check.name == "baseline.success_rate"
    assert check.passed is passed


@pytest.mark.parametrize(("total", "passed"), [(1999.99, True), (2000.0, False), (2000.01, False)])
def test_server_p95_passes_only_strictly_below_the_target_like_the_api(total, passed):
    checks = by_name(check_server(server(total=total), THRESHOLDS, expected_runs=60))

    assert checks["server.total_orchestration.p95_ms"].passed is passed


@pytest.mark.parametrize(("pattern", "passed"), [(999.9, True), (1000.0, False)])
def test_pattern_analysis_p95_has_its_own_target(pattern, passed):
    checks = by_name(check_server(server(pattern=pattern), THRESHOLDS, expected_runs=60))

    assert checks["server.full_pattern_analysis.p95_ms"].passed is passed


@pytest.mark.parametrize(("memory", "passed"), [(99.9, True), (100.0, False)])
def test_memory_increase_p95_must_stay_below_100_mb(memory, passed):
    checks = by_name(check_server(server(memory=memory), THRESHOLDS, expected_runs=60))

    assert checks["server.memory_increase.p95_mb"].passed is passed


def test_it_fails_when_the_server_recorded_fewer_runs_than_successful_responses():
    checks = by_name(check_server(server(successful=59), THRESHOLDS, expected_runs=60))

    assert checks["server.runs_recorded"].passed is False
    assert checks["server.runs_recorded"].actual == 59


@pytest.mark.parametrize(("concurrent_rps", "passed"), [(10.0, True), (9.99, False), (25.0, True)])
def test_concurrent_throughput_must_reach_the_sequential_one(concurrent_rps, passed):
    checks = by_name(
        check_degradation(
            phase(rps=10.0), phase("concurrent", rps=concurrent_rps, conc=5), max_p95_factor=3.0
        )
    )

    assert checks["concurrency.throughput"].passed is passed


@pytest.mark.parametrize(("concurrent_p95", "passed"), [(300.0, True), (300.01, False)])
def test_concurrent_p95_may_grow_up_to_the_factor_inclusive(concurrent_p95, passed):
    checks = by_name(
        check_degradation(
            phase(p95=100.0), phase("concurrent", p95=concurrent_p95, rps=50), max_p95_factor=3.0
        )
    )

    check = checks["concurrency.p95_factor"]
    assert check.passed is passed
    assert check.actual == pytest.approx(concurrent_p95 / 100.0)


@pytest.mark.parametrize(("ratio", "passed"), [(0.5, True), (0.51, False)])
def test_the_required_throughput_ratio_is_configurable(ratio, passed):
    checks = by_name(
        check_degradation(
            phase(rps=10.0),
            phase("concurrent", rps=5.0),
            max_p95_factor=3.0,
            min_throughput_ratio=ratio,
        )
    )

    assert checks["concurrency.throughput"].passed is passed
    assert checks["concurrency.throughput"].target == pytest.approx(10.0 * ratio)


def test_degradation_fails_when_a_phase_has_no_successful_request():
    failed = PhaseSummary(
        "concurrent", 5, 10, 10, 0.0, LatencySummary(0, None, None, None, None, None), 0.0, 1.0
    )

    checks = by_name(check_degradation(phase(), failed, max_p95_factor=3.0))

    assert checks["concurrency.p95_factor"].passed is False
    assert checks["concurrency.p95_factor"].actual is None
    assert checks["concurrency.throughput"].passed is False


def test_check_run_expects_one_recorded_run_per_successful_orchestration():
    phases = {
        "baseline": phase("baseline", errors=1),
        "pattern_recognition": phase(),
        "metrics_endpoint": phase("metrics_endpoint", errors=2),
        "concurrent": phase("concurrent", requests=100, rps=20),
    }

    checks = by_name(check_run(phases, server(successful=139), THRESHOLDS, max_p95_factor=3.0))

    assert checks["server.runs_recorded"].target == 139
    assert checks["server.runs_recorded"].passed is True
    assert checks["metrics_endpoint.success_rate"].passed is False


def test_percent_change_needs_both_values_and_a_nonzero_baseline():
    assert percent_change(100.0, 120.0) == pytest.approx(20.0)
    assert percent_change(0.0, 5.0) is None
    assert percent_change(None, 5.0) is None


@pytest.mark.parametrize(("p95", "regressed"), [(120.0, False), (120.01, True), (50.0, False)])
def test_latency_regresses_when_it_grew_by_more_than_the_tolerance(p95, regressed):
    changes = compare_with_baseline(
        {"baseline": PhaseMetrics(100.0, p95, 10.0)},
        {"baseline": PhaseMetrics(100.0, 100.0, 10.0)},
        tolerance_percent=20.0,
    )

    p95_change = next(c for c in changes if c.metric == "p95_ms")
    assert p95_change.regressed is regressed


@pytest.mark.parametrize(("rps", "regressed"), [(8.0, False), (7.99, True), (30.0, False)])
def test_throughput_regresses_when_it_fell_by_more_than_the_tolerance(rps, regressed):
    changes = compare_with_baseline(
        {"concurrent": PhaseMetrics(100.0, 100.0, rps)},
        {"concurrent": PhaseMetrics(100.0, 100.0, 10.0)},
        tolerance_percent=20.0,
    )

    rps_change = next(c for c in changes if c.metric == "throughput_rps")
    assert rps_change.regressed is regressed


def test_comparison_covers_only_phases_in_both_and_lists_each_metric():
    changes = compare_with_baseline(
        {"baseline": PhaseMetrics(1, 2, 3), "concurrent": PhaseMetrics(1, 2, 3)},
        {"baseline": PhaseMetrics(1, 2, 3), "old_phase": PhaseMetrics(1, 2, 3)},
        tolerance_percent=0.0,
    )

    assert [(c.phase, c.metric) for c in changes] == [
        ("baseline", "p50_ms"),
        ("baseline", "p95_ms"),
        ("baseline", "throughput_rps"),
    ]
    assert not any(c.regressed for c in changes)


def test_each_regressed_metric_becomes_a_failing_check():
    changes = compare_with_baseline(
        {"baseline": PhaseMetrics(200.0, 100.0, 10.0)},
        {"baseline": PhaseMetrics(100.0, 100.0, 10.0)},
        tolerance_percent=20.0,
    )

    checks = by_name(regression_checks(changes, baseline_name="v1", tolerance_percent=20.0))

    assert checks["baseline.baseline.p50_ms"].passed is False
    assert "+100.0%" in checks["baseline.baseline.p50_ms"].detail
    assert checks["baseline.baseline.p95_ms"].passed is True
