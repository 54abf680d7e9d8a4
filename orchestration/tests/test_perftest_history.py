"""The stored history of test runs: what is stored, which run ``--compare latest-passing``
picks, and ``perftest_last_status`` on ``/metrics``."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from django.test import Client

from conftest import make_project
from orchestration.management.commands.perftest import check_preconditions
from orchestration.models import PerftestRun
from orchestration.perftest.config import PerftestConfig
from orchestration.perftest.errors import PerftestError
from orchestration.perftest.runs import (
    check_baseline_name,
    latest_passing_run,
    latest_runs_by_project,
)
from orchestration.perftest.values import Check, MetricChange
from orchestration.tests.perftest_builders import make_charted_report, make_report, store_run
from perfmetrics.tests.prometheus_support import parse, value

OPTIONS = PerftestConfig(project_id="TEST-001", label="pt-new").comparable_options(target="t")
FAILED = (Check("concurrency.throughput", False, 0.5, 1.0, "fell"),)
REGRESSED = (MetricChange("baseline", "p95_ms", 10.0, 20.0, 100.0, regressed=True),)


def at(minutes: int, label: str, **changes):
    report = make_report(**changes)
    started = report.started_at + timedelta(minutes=minutes)
    return store_run(report, label=label, started_at=started, finished_at=started, options=OPTIONS)


def options(**changes) -> dict[str, object]:
    defaults = {"compare": None, "save_baseline": None, "json": None, "junit": None, "html": None}
    return defaults | changes


@pytest.mark.django_db
def test_a_stored_run_keeps_its_options_release_verdict_and_whole_report():
    stored = store_run(release="v1.4.2", options=OPTIONS, checks=FAILED)

    run = PerftestRun.objects.get(pk=stored.pk)
    assert (run.label, run.project_id, run.release) == ("pt-1", "TEST-001", "v1.4.2")
    assert run.passed is False
    assert run.comparison_passed is None
    assert run.options == OPTIONS
    assert run.report["checks"][0]["name"] == "concurrency.throughput"
    assert set(run.report["phases"]) == {
        "baseline",
        "pattern_recognition",
        "metrics_endpoint",
        "concurrent",
    }


@pytest.mark.django_db
def test_latest_passing_is_the_newest_passing_run_of_the_same_project_and_options():
    at(0, "pt-old")
    wanted = at(10, "pt-wanted")
    at(20, "pt-failed", checks=FAILED)
    other = PerftestConfig(project_id="TEST-001", label="x", concurrency=9)
    store_run(label="pt-other-options", options=other.comparable_options(target="t"))
    store_run(
        label="pt-other-project",
        project_id="TEST-002",
        options=OPTIONS | {"project_id": "TEST-002"},
    )

    assert latest_passing_run(OPTIONS) == wanted


@pytest.mark.django_db
def test_compare_latest_passing_loads_that_run_as_the_baseline():
    make_project()
    at(0, "pt-base")
    config = PerftestConfig(project_id="TEST-001", label="pt-new")

    baseline = check_preconditions(config, options(compare="latest-passing"), OPTIONS)

    assert baseline is not None
    assert baseline.name == "run pt-base"
    assert baseline.metrics["baseline"].p95_ms == 19.5
    assert baseline.report["label"] == "pt-base"


@pytest.mark.django_db
def test_compare_latest_passing_without_a_passing_run_compares_with_nothing():
    make_project()
    at(0, "pt-failed", checks=FAILED)
    config = PerftestConfig(project_id="TEST-001", label="pt-new")

    assert check_preconditions(config, options(compare="latest-passing"), OPTIONS) is None


@pytest.mark.django_db
def test_latest_passing_is_not_a_name_a_baseline_may_take():
    with pytest.raises(PerftestError, match="reserved for --compare"):
        check_baseline_name("latest-passing", replace=True)


@pytest.mark.django_db
def test_metrics_show_whether_each_projects_newest_run_passed_and_its_comparison():
    at(0, "pt-a1")
    at(10, "pt-a2", checks=FAILED, comparison=REGRESSED)
    store_run(label="pt-b1", project_id="TEST-002")

    response = Client().get("/metrics")

    samples = parse(response.content.decode())
    assert value(samples, "perftest_last_status", project="TEST-001", comparison="failed") == 0.0
    assert value(samples, "perftest_last_status", project="TEST-002", comparison="none") == 1.0
    assert value(samples, "perftest_last_status", project="TEST-001", comparison="none") is None
    started = make_report().started_at + timedelta(minutes=10)
    assert value(
        samples, "perftest_last_run_timestamp_seconds", project="TEST-001"
    ) == pytest.approx(started.timestamp())


@pytest.mark.django_db
def test_a_failed_comparison_shows_in_the_admin_list(admin_client):
    at(0, "pt-regressed", checks=FAILED, comparison=REGRESSED)

    page = admin_client.get("/admin/orchestration/perftestrun/").text

    assert 'class="comparison-failed"' in page
    assert "pt-regressed" in page


def test_a_report_compared_with_nothing_has_no_comparison_verdict():
    assert make_report().comparison_passed is None
    assert replace(make_report(comparison=REGRESSED)).comparison_passed is False


@pytest.mark.django_db
def test_the_status_of_every_project_is_read_in_one_query(django_assert_num_queries):
    for index in range(3):
        store_run(label=f"pt-{index}", project_id=f"TEST-00{index}")

    with django_assert_num_queries(1):
        runs = latest_runs_by_project()

    assert [run.project_id for run in runs] == ["TEST-000", "TEST-001", "TEST-002"]


@pytest.mark.django_db
def test_a_stored_runs_admin_page_draws_its_charts_beside_its_baseline_and_the_trend(
    admin_client, django_assert_max_num_queries
):
    store_run(make_charted_report(label="pt-before", scale=1.5), options=OPTIONS)
    report = make_charted_report(label="pt-now", comparison=REGRESSED)
    started = report.started_at + timedelta(minutes=5)
    run = store_run(
        report,
        compared_with="run pt-before",
        started_at=started,
        finished_at=started,
        options=OPTIONS,
    )

    with django_assert_max_num_queries(12):
        page = admin_client.get(f"/admin/orchestration/perftestrun/{run.pk}/change/").text

    assert page.count('data-chart="histogram"') == 4
    assert page.count('data-chart="components"') == 3
    assert page.count('data-chart="trend"') == 1
    components = re.findall(r'data-chart="components".*?</svg>', page, flags=re.S)
    assert all("baseline" in chart for chart in components)


@pytest.mark.django_db
def test_the_label_of_a_stored_run_is_refused_before_any_request():
    make_project()
    store_run(label="pt-kept")
    config = PerftestConfig(project_id="TEST-001", label="pt-kept")

    with pytest.raises(PerftestError, match="label 'pt-kept' names a stored test run"):
        check_preconditions(config, options(), OPTIONS)
