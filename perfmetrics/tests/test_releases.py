from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from perfmetrics.models import Run
from perfmetrics.releases import UNKNOWN, clean_release, detect_release, git_release
from perfmetrics.services import measured_transaction
from perfmetrics.tests.conftest import make_run

METRICS = "/orchestrate/intelligence/performance/metrics"
RUNS = "/orchestrate/intelligence/performance/runs"


@pytest.mark.django_db
def test_a_measured_run_records_the_configured_release(settings):
    settings.PERFMETRICS = {**settings.PERFMETRICS, "RELEASE": "v1.4.2"}

    with measured_transaction("place_order") as run:
        pass

    assert run.record_id is not None
    assert run.result is not None
    assert Run.objects.get(pk=run.record_id).release == "v1.4.2"
    assert run.result.release == "v1.4.2"


def test_the_configured_release_wins_over_the_checkout():
    assert detect_release(" v2.0.0 ", checkout=Path(__file__).parent) == "v2.0.0"


def test_a_release_is_cleaned_to_fit_the_column():
    assert clean_release("v1 <script>" + "x" * 100) == ("v1script" + "x" * 100)[:64]
    assert clean_release("   ") == UNKNOWN


def test_without_a_release_a_checkout_uses_git_describe(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    commit = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run([*commit, "commit", "-q", "--allow-empty", "-m", "first"], check=True)
    subprocess.run([*commit, "tag", "v9.9.9"], check=True)

    assert git_release(tmp_path) == "v9.9.9"
    assert detect_release("", checkout=tmp_path) == "v9.9.9"


def test_outside_a_checkout_the_release_is_unknown(tmp_path):
    assert detect_release("", checkout=tmp_path) == UNKNOWN
    assert detect_release("") == UNKNOWN


@pytest.mark.django_db
def test_the_runs_list_filters_by_release(api_client):
    old = make_run(100, release="v1")
    new = make_run(100, release="v2")

    body = api_client.get(RUNS, {"release": "v2"}).json()

    assert [row["id"] for row in body["results"]] == [new.pk]
    assert body["results"][0]["release"] == "v2"
    assert old.pk != new.pk


@pytest.mark.django_db
def test_the_metrics_endpoints_filter_by_release(api_client):
    make_run(100, release="v1")
    make_run(300, release="v2")
    make_run(500, release="v2")

    body = api_client.get(f"{METRICS}/P1", {"release": "v2"}).json()
    overall = api_client.get(METRICS, {"release": "v1"}).json()

    assert body["runs_analyzed"] == 2
    assert body["window"]["release"] == "v2"
    assert body["component_metrics"]["total_orchestration"]["p50_duration_ms"] == 400
    assert overall["runs_analyzed"] == 1


@pytest.mark.django_db
def test_an_overlong_release_filter_is_refused(api_client):
    response = api_client.get(METRICS, {"release": "v" * 65})

    assert response.status_code == 400
    assert "release" in response.json()


@pytest.mark.django_db
def test_the_sql_views_carry_the_release():
    run = make_run(100, release="v3", components={"full_pattern_analysis": 40})

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT release FROM perfmetrics_duration_samples WHERE run_id = %s",
            [run.pk],
        )
        samples = cursor.fetchall()
        cursor.execute("SELECT release FROM perfmetrics_run_overview WHERE run_id = %s", [run.pk])
        overview = cursor.fetchall()
        cursor.execute(
            "SELECT component, count, p50_ms FROM perfmetrics_release_component_stats"
            " WHERE release = 'v3' ORDER BY component"
        )
        stats = cursor.fetchall()

    assert samples == [("v3",)]
    assert overview == [("v3",)]
    assert stats == [("full_pattern_analysis", 1, 40.0), ("total_orchestration", 1, 100.0)]


@pytest.mark.django_db
def test_the_admin_filters_runs_by_release(admin_client):
    make_run(100, release="v1")
    make_run(100, release="v2")

    page = admin_client.get("/admin/perfmetrics/run/", {"release": "v2"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list.values_list("release", flat=True)) == ["v2"]


@pytest.mark.django_db
@override_settings(PERFMETRICS={"RELEASE": ""})
def test_an_empty_release_setting_fails_the_system_check():
    from perfmetrics.checks import check_perfmetrics_settings

    assert [e.id for e in check_perfmetrics_settings()] == ["perfmetrics.E009"]


@pytest.mark.django_db(transaction=True)
def test_the_release_migration_fills_existing_runs_with_unknown():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("perfmetrics", "0004_run_source_and_dry_run_indexes")])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO perfmetrics_run (name, project_id, source, labels, dry_run, started_at,"
            " duration_ms, success, breached, error, cpu_user_ms, cpu_system_ms,"
            " rss_before_bytes, rss_after_bytes, db_queries, db_time_ms, host, pid, overhead_ms)"
            " VALUES ('r', '', 'api', '{}', false, %s, 1, true, false, '', 0, 0, 0, 0, 0, 0,"
            " 'h', 1, 0) RETURNING id",
            [timezone.now()],
        )
        (run_id,) = cursor.fetchone()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Run.objects.get(pk=run_id).release == UNKNOWN
