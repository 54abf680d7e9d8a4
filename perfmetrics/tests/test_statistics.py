from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from perfmetrics.reports import metrics_report
from perfmetrics.selectors import recent_summary, window_samples, window_statistics
from perfmetrics.statistics import percentile
from perfmetrics.tests.conftest import make_run
from perfmetrics.values import Window

pytestmark = pytest.mark.django_db


def test_percentiles_match_an_independent_computation():
    rng = random.Random(7)
    durations = [rng.uniform(5, 500) for _ in range(137)]
    for value in durations:
        make_run(value, components={"part": value / 3})

    stats = window_statistics(Window(minutes=60))

    assert stats.total.count == 137
    assert stats.total.p50_ms == pytest.approx(percentile(durations, 0.5))
    assert stats.total.p95_ms == pytest.approx(percentile(durations, 0.95))
    assert stats.total.p99_ms == pytest.approx(percentile(durations, 0.99))
    assert stats.total.avg_ms == pytest.approx(sum(durations) / len(durations))
    assert (stats.total.min_ms, stats.total.max_ms) == (
        pytest.approx(min(durations)),
        pytest.approx(max(durations)),
    )
    part = stats.components["part"]
    assert part.p95_ms == pytest.approx(percentile([d / 3 for d in durations], 0.95))


def test_failed_runs_count_in_the_success_rate_but_their_latency_is_apart():
    for value in (10, 20, 30):
        make_run(value)
    make_run(5000, success=False)

    total = window_statistics(Window(minutes=60)).total

    assert (total.count, total.successful, total.failed) == (4, 3, 1)
    assert total.success_rate == 0.75
    assert total.max_ms == 30
    assert total.p50_ms == 20
    assert total.failed_max_ms == 5000
    assert total.total_ms == 5060


def test_a_minutes_window_excludes_older_runs_and_other_projects():
    make_run(10, ago=timedelta(minutes=5))
    make_run(20, ago=timedelta(minutes=50))
    make_run(999, ago=timedelta(minutes=70))
    make_run(777, project_id="OTHER", ago=timedelta(minutes=5))

    per_project = window_statistics(Window(minutes=60, project_id="P1")).total
    everywhere = window_statistics(Window(minutes=60)).total

    assert (per_project.count, per_project.max_ms) == (2, 20)
    assert (everywhere.count, everywhere.max_ms) == (3, 777)


def test_a_last_runs_window_takes_the_newest_runs_and_the_previous_window_the_ones_before():
    for minutes, value in enumerate([1, 2, 3, 4, 5, 6]):
        make_run(value, ago=timedelta(minutes=minutes), components={"a": value / 2})
    window = Window(minutes=None, last_runs=3)

    stats = window_statistics(window)
    previous = window_samples(window, now=timezone.now(), limit=1000, previous=True)

    assert stats.total.count == 3
    assert stats.total.max_ms == 3
    assert sorted(previous[None]) == [4, 5, 6]
    assert sorted(previous["a"]) == [2, 2.5, 3]


def test_resource_statistics_use_the_process_rss_change():
    for delta in (1.0, 2.0, 30.0):
        make_run(10, rss_delta_mb=delta)

    memory = window_statistics(Window(minutes=60)).resources.memory_increase_mb

    assert memory.avg == pytest.approx(11.0)
    assert memory.max == pytest.approx(30.0)
    assert memory.p95 == pytest.approx(percentile([1.0, 2.0, 30.0], 0.95))


def test_memory_trends_are_per_worker_process():
    now = timezone.now()
    for i in range(10):
        make_run(
            10,
            pid=1,
            started_at=now - timedelta(minutes=20 - i),
            rss_before_mb=100 + 5 * i,
            rss_delta_mb=5,
        )
        make_run(10, pid=2, started_at=now - timedelta(minutes=20 - i), rss_before_mb=100)

    trends = {t.pid: t for t in window_statistics(Window(minutes=60)).memory_trends}

    assert trends[1].runs == 10
    assert trends[1].growth_mb == pytest.approx(50.0)
    assert trends[1].correlation == pytest.approx(1.0)
    assert trends[2].growth_mb == pytest.approx(0.0)


def test_the_response_summary_covers_the_newest_runs_of_one_project(django_assert_num_queries):
    for i in range(5):
        make_run(
            10 * (i + 1), ago=timedelta(minutes=i), components={"full_pattern_analysis": i + 1}
        )
    make_run(1, project_id="OTHER")

    with django_assert_num_queries(1):
        total, components = recent_summary(
            project_id="P1",
            name="total_orchestration",
            last_runs=3,
            components=("full_pattern_analysis",),
        )

    assert (total.count, total.min_ms, total.max_ms) == (3, 10, 30)
    assert components["full_pattern_analysis"].max_ms == 3


@pytest.mark.parametrize("runs", [5, 60])
def test_the_metrics_report_takes_five_queries_whatever_the_history(
    runs, django_assert_num_queries
):
    for i in range(runs):
        make_run(10 + i, components={"a": 1, "b": 2}, ago=timedelta(minutes=i % 50))

    # Statistics, components, memory trends, and the two windows' samples.
    with django_assert_num_queries(5):
        metrics_report(Window(minutes=60))


def test_an_empty_window_has_no_latency_and_no_success_rate():
    stats = window_statistics(Window(minutes=60))

    assert stats.total.count == 0
    assert stats.total.success_rate is None
    assert stats.total.p95_ms is None
    assert stats.components == {}
