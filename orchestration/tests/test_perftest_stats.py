from __future__ import annotations

import random

import pytest
from django.db import connection

from orchestration.perftest.stats import (
    MB,
    percentile,
    summarize_component,
    summarize_phase,
    summarize_server,
)
from orchestration.perftest.values import ComponentRow, Phase, PhaseResult, RunRow, Sample


def test_percentile_interpolates_between_the_closest_ranks():
    values = [40.0, 10.0, 30.0, 20.0]

    assert percentile(values, 0.5) == pytest.approx(25.0)
    assert percentile(values, 0.95) == pytest.approx(38.5)
    assert percentile(values, 0.0) == 10.0
    assert percentile(values, 1.0) == 40.0


def test_percentile_of_one_value_is_that_value_and_of_none_is_none():
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


@pytest.mark.django_db
def test_percentile_agrees_with_postgresql_percentile_cont():
    rng = random.Random(4)
    values = [rng.uniform(1, 500) for _ in range(37)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY v) "
            "FROM unnest(%s::float8[]) AS v",
            [values],
        )
        expected = cursor.fetchone()[0]

    assert [percentile(values, q) for q in (0.5, 0.95, 0.99)] == pytest.approx(expected)


def test_a_phase_counts_every_request_but_times_only_the_successful_ones():
    samples = (
        Sample(200, 10.0),
        Sample(200, 30.0),
        Sample(500, 1.0, "HTTP 500: boom"),
        Sample(0, 5000.0, "TimeoutError: timed out"),
    )

    summary = summarize_phase(
        PhaseResult(phase=Phase.BASELINE, concurrency=1, wall_s=2.0, samples=samples)
    )

    assert (summary.requests, summary.errors, summary.success_rate) == (4, 2, 0.5)
    assert summary.latency.count == 2
    assert summary.latency.max_ms == 30.0
    assert summary.latency.p50_ms == pytest.approx(20.0)
    assert summary.throughput_rps == pytest.approx(1.0)
    assert summary.statuses == {"0": 1, "200": 2, "500": 1}
    assert summary.first_error == "HTTP 500: boom"


def test_a_phase_without_successes_has_no_latency():
    summary = summarize_phase(
        PhaseResult(Phase.CONCURRENT, 2, 1.0, (Sample(0, 3.0, "ConnectionRefusedError"),))
    )

    assert summary.latency.p95_ms is None
    assert summary.throughput_rps == 0.0


def test_component_latency_ignores_failed_executions():
    stats = summarize_component("x", [(10.0, True), (20.0, True), (900.0, False)])

    assert (stats.count, stats.successful, stats.max_ms, stats.avg_ms) == (3, 2, 20.0, 15.0)


def test_server_statistics_count_only_the_given_runs_components():
    runs = [
        RunRow(1, "baseline", 100.0, True, 2 * MB),
        RunRow(2, "baseline", 300.0, True, 0),
    ]
    components = [
        ComponentRow(1, "project_analysis", 40.0, True),
        ComponentRow(2, "project_analysis", 60.0, True),
        ComponentRow(3, "project_analysis", 9999.0, True),
        ComponentRow(2, "action_execution", 5.0, True),
    ]

    stats = summarize_server("baseline", runs, components)

    assert [c.name for c in stats.components] == [
        "total_orchestration",
        "action_execution",
        "project_analysis",
    ]
    assert stats.component("total_orchestration").p50_ms == pytest.approx(200.0)
    assert stats.component("project_analysis").max_ms == 60.0
    assert stats.memory_increase_p95_mb == pytest.approx(1.9)
    assert (stats.runs, stats.successful_runs) == (2, 2)
