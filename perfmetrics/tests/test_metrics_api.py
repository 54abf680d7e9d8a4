from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from perfmetrics.tests.conftest import make_run

pytestmark = pytest.mark.django_db
METRICS = "/orchestrate/intelligence/performance/metrics"
RUNS = "/orchestrate/intelligence/performance/runs"


def test_the_project_metrics_report_has_the_contract_keys_and_numbers(api_client):
    for value in (100, 200, 300):
        make_run(value, components={"full_pattern_analysis": value / 4})
    make_run(50, project_id="OTHER")

    body = api_client.get(f"{METRICS}/P1").json()

    assert body["project_id"] == "P1"
    assert body["window"]["minutes"] == 60
    assert body["runs_analyzed"] == 3
    assert body["total_execution_time_ms"] == 600
    assert body["component_metrics"]["total_orchestration"]["p50_duration_ms"] == 200
    assert body["component_metrics"]["full_pattern_analysis"]["max_duration_ms"] == 75
    assert body["resource_usage"]["memory_scope"] == "process"
    assert body["performance_thresholds"]["total_duration_p95_ms"] == {
        "description": "p95 of successful runs' total duration",
        "target": 2000.0,
        "actual": pytest.approx(290.0),
        "met": True,
    }
    assert body["threshold_met"] is True
    assert body["recommendations"] == ["Performance within acceptable thresholds."]


def test_the_global_report_covers_every_project(api_client):
    make_run(100)
    make_run(100, project_id="OTHER")

    body = api_client.get(METRICS, {"last_runs": 10}).json()

    assert body["project_id"] is None
    assert body["runs_analyzed"] == 2
    assert body["window"]["last_runs"] == 10


def test_a_breach_shows_in_thresholds_and_recommendations(api_client):
    make_run(2500, components={"full_pattern_analysis": 1200})

    body = api_client.get(f"{METRICS}/P1").json()

    assert body["threshold_met"] is False
    assert body["performance_thresholds"]["total_duration_p95_ms"]["met"] is False
    assert body["performance_thresholds"]["full_pattern_analysis_p95_ms"]["met"] is False
    assert len(body["recommendations"]) == 3


@pytest.mark.parametrize(
    "params",
    [
        {"minutes": 0},
        {"minutes": "abc"},
        {"last_runs": 0},
        {"minutes": 5, "last_runs": 5},
        {"window": "1h"},
    ],
)
def test_bad_metrics_parameters_are_400(api_client, params):
    response = api_client.get(METRICS, params)

    assert response.status_code == 400
    assert set(response.json()) & {"minutes", "last_runs", "window"}


def test_runs_are_listed_newest_first_with_filters(api_client):
    old = make_run(10, ago=timedelta(minutes=30))
    failed = make_run(20, success=False, ago=timedelta(minutes=20))
    perftest = make_run(30, source="perftest", dry_run=True, ago=timedelta(minutes=10))
    breached = make_run(3000, breached=True, project_id="P2", ago=timedelta(minutes=5))

    def ids(**params):
        response = api_client.get(RUNS, params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [breached.pk, perftest.pk, failed.pk, old.pk]
    assert ids(success="false") == [failed.pk]
    assert ids(source="perftest") == [perftest.pk]
    assert ids(dry_run="true") == [perftest.pk]
    assert ids(breached="true") == [breached.pk]
    assert ids(project_id="P2") == [breached.pk]
    since = (timezone.now() - timedelta(minutes=15)).isoformat()
    assert ids(started_after=since) == [breached.pk, perftest.pk]


def test_runs_are_cursor_paged_without_counting_the_table(
    api_client, django_assert_max_num_queries
):
    for i in range(7):
        make_run(i, ago=timedelta(minutes=i))

    with django_assert_max_num_queries(3):
        first = api_client.get(RUNS, {"page_size": 5}).json()
    second = api_client.get(first["next"]).json()

    assert "count" not in first
    assert len(first["results"]) == 5
    assert len(second["results"]) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"source": "nowhere"},
        {"success": "maybe"},
        {"started_after": "yesterday"},
        {"colour": "red"},
        {"started_after": "2026-02-01T00:00:00Z", "started_before": "2026-01-01T00:00:00Z"},
    ],
)
def test_bad_run_filters_are_400(api_client, params):
    assert api_client.get(RUNS, params).status_code == 400


def test_a_run_page_has_its_components(api_client):
    run = make_run(100, components={"a": 60, "b": 30}, rss_delta_mb=2)

    body = api_client.get(f"{RUNS}/{run.pk}").json()

    assert body["id"] == run.pk
    assert [c["name"] for c in body["components"]] == ["a", "b"]
    assert body["rss_delta_bytes"] == 2 * 1024 * 1024
    assert api_client.get(f"{RUNS}/999999").status_code == 404


def test_performance_endpoints_need_a_token(client):
    assert client.get(METRICS).status_code == 401
    assert client.get(RUNS).status_code == 401
