"""perftest's server-side statistics: perfmetrics' window statistics of its labelled runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orchestration.perftest.runs import collect_server_stats
from perfmetrics.models import Run
from perfmetrics.tests.conftest import make_run

pytestmark = pytest.mark.django_db


def labelled(label: str, duration_ms: float, *, source: str = "perftest", **options) -> Run:
    run = make_run(duration_ms, source=source, **options)
    Run.objects.filter(pk=run.pk).update(labels={"label": label})
    return run


def test_each_orchestration_phase_and_all_of_them_get_perfmetrics_statistics(
    django_assert_num_queries,
):
    since = timezone.now() - timedelta(minutes=10)
    labelled("pt-9:baseline", 100.0, components={"project_analysis": 40.0}, rss_delta_mb=2.0)
    labelled("pt-9:baseline", 300.0, components={"project_analysis": 60.0, "action": 5.0})
    labelled("pt-9:pattern_recognition", 200.0, components={"full_pattern_analysis": 120.0})
    labelled("pt-9:concurrent", 400.0, success=False)
    # Not this test run's measured orchestrations:
    labelled("pt-9:warmup", 9000.0)
    labelled("pt-9:preflight", 9000.0)
    labelled("pt-90:baseline", 9000.0)
    labelled("pt-9:baseline", 9000.0, source="api")
    labelled("pt-9:baseline", 9000.0, ago=timedelta(minutes=30))

    with django_assert_num_queries(8):
        stats = collect_server_stats("pt-9", since=since)

    assert [s.phase for s in stats] == ["baseline", "pattern_recognition", "concurrent", "all"]
    baseline, pattern, concurrent, overall = stats
    assert (baseline.runs, baseline.successful_runs) == (2, 2)
    assert baseline.component("total_orchestration").p50_ms == pytest.approx(200.0)
    assert baseline.component("project_analysis").max_ms == 60.0
    assert baseline.memory_increase_p95_mb == pytest.approx(1.9)
    assert list(baseline.by_name()) == ["total_orchestration", "action", "project_analysis"]
    assert baseline.component("full_pattern_analysis") is None
    assert pattern.component("full_pattern_analysis").p95_ms == pytest.approx(120.0)
    assert (concurrent.runs, concurrent.successful_runs) == (1, 0)
    assert concurrent.total.failed_max_ms == 400.0
    assert (overall.runs, overall.successful_runs) == (4, 3)
    assert overall.total.max_ms == 300.0
    assert overall.component("project_analysis").count == 2


def test_a_test_run_without_recorded_runs_has_empty_statistics():
    stats = collect_server_stats("pt-none", since=timezone.now() - timedelta(minutes=1))

    assert [(s.runs, s.total.p95_ms, s.memory_increase_p95_mb) for s in stats] == [
        (0, None, None)
    ] * 4
    assert all(not s.components for s in stats)
