from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from perfmetrics.measure import component
from perfmetrics.models import Run
from perfmetrics.services import measured_transaction

from .prometheus_support import Samples, database_url, parse, value

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def name() -> str:
    """A run name no other test uses: the default registry lives as long as the process."""
    return f"run-{uuid4().hex[:12]}"


def scrape() -> Samples:
    response = Client().get("/metrics")
    assert response.status_code == 200
    return parse(response.content.decode())


def mentions(samples: Samples, name: str) -> bool:
    """Whether any sample is about the run ``name`` or its components."""
    return any(dict(labels).get("name", "").startswith(name) for _, labels in samples)


def run_ok(name: str) -> None:
    with measured_transaction(name, source="cli"), component(f"{name}-step"):
        pass


def run_then_fail(name: str) -> None:
    with transaction.atomic():
        run_ok(name)
        raise RuntimeError("the caller's transaction fails after the run")


def run_failing(name: str, *, unrecorded: tuple[type[BaseException], ...] = ()) -> None:
    with (
        pytest.raises(ValueError, match="planned"),
        measured_transaction(name, source="cli", unrecorded=unrecorded),
        component(f"{name}-step"),
    ):
        raise ValueError("planned")


@pytest.mark.django_db
def test_it_counts_a_committed_run_and_its_components(name, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_ok(name)

    samples = scrape()

    recorded = Run.objects.get(name=name)
    ok = {"name": name, "outcome": "success"}
    assert value(samples, "perfmetrics_runs_total", source="cli", **ok) == 1
    assert (
        value(samples, "perfmetrics_runs_total", source="cli", name=name, outcome="failure") is None
    )
    assert value(samples, "perfmetrics_run_duration_seconds_count", **ok) == 1
    assert value(samples, "perfmetrics_run_duration_seconds_bucket", le="+Inf", **ok) == 1
    assert value(samples, "perfmetrics_run_duration_seconds_sum", **ok) == pytest.approx(
        recorded.duration_ms / 1000
    )
    step = {"name": f"{name}-step", "outcome": "success"}
    assert value(samples, "perfmetrics_component_duration_seconds_count", **step) == 1
    assert value(samples, "perfmetrics_component_duration_seconds_sum", **step) == pytest.approx(
        recorded.components.get().duration_ms / 1000
    )


@pytest.mark.django_db
def test_it_counts_a_failed_run_with_outcome_failure(name, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_failing(name)

    samples = scrape()

    assert Run.objects.get(name=name).success is False
    failed = {"name": name, "outcome": "failure"}
    assert value(samples, "perfmetrics_runs_total", source="cli", **failed) == 1
    assert (
        value(samples, "perfmetrics_runs_total", source="cli", name=name, outcome="success") is None
    )
    assert value(samples, "perfmetrics_run_duration_seconds_count", **failed) == 1
    step = {"name": f"{name}-step", "outcome": "failure"}
    assert value(samples, "perfmetrics_component_duration_seconds_count", **step) == 1


@pytest.mark.django_db
def test_it_does_not_count_an_unrecorded_exception(name, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_failing(name, unrecorded=(ValueError,))
        run_ok(name)

    samples = scrape()

    assert Run.objects.filter(name=name).count() == 1
    assert (
        value(samples, "perfmetrics_runs_total", source="cli", name=name, outcome="failure") is None
    )
    assert value(samples, "perfmetrics_runs_total", source="cli", name=name, outcome="success") == 1


@pytest.mark.django_db
def test_it_does_not_count_a_run_whose_transaction_rolls_back(
    name, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="after the run"),
    ):
        run_then_fail(name)

    assert callbacks == []
    assert not Run.objects.filter(name=name).exists()
    assert not mentions(scrape(), name)


@pytest.mark.django_db
def test_it_does_not_count_runs_while_perfmetrics_is_disabled(
    name, django_capture_on_commit_callbacks
):
    with (
        override_settings(PERFMETRICS={"ENABLED": False}),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run_ok(name)
        run_failing(name)

    samples = scrape()

    assert not Run.objects.filter(name=name).exists()
    assert not mentions(samples, name)


@pytest.mark.django_db
@pytest.mark.parametrize(("total_ms", "breaches"), [(0.0, 1.0), (1e9, None)])
def test_it_counts_threshold_breaches(name, django_capture_on_commit_callbacks, total_ms, breaches):
    with (
        override_settings(PERFMETRICS={**settings.PERFMETRICS, "TOTAL_MS": total_ms}),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run_ok(name)

    samples = scrape()

    assert Run.objects.get(name=name).breached is (breaches is not None)
    assert value(samples, "perfmetrics_run_threshold_breaches_total", name=name) == breaches


# The project around perfmetrics adds collectors that read the database (register_collector).
@pytest.mark.django_db
def test_metrics_are_open_and_in_the_text_format():
    response = Client().get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]
    assert b"# TYPE perfmetrics_runs_total counter" in response.content
    assert b"# TYPE perfmetrics_run_duration_seconds histogram" in response.content
    assert Client().post("/metrics").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_it_adds_up_the_runs_of_every_process_in_multiprocess_mode(name, tmp_path):
    """Two processes record runs into one directory; a third process's /metrics sums them."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DATABASE_URL": database_url(),
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "orchestrator_site.settings",
    }
    command = [sys.executable, "-m", "perfmetrics.tests.prometheus_support"]
    workers = [
        subprocess.Popen([*command, "record", name, str(ok), str(failed)], cwd=ROOT, env=env)
        for ok, failed in [(3, 1), (2, 0)]
    ]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]

    scraped = subprocess.run(
        [*command, "scrape"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert scraped.returncode == 0, scraped.stderr
    samples = parse(scraped.stdout)
    runs = Run.objects.filter(name=name)
    assert len({run.pid for run in runs}) == 2
    assert value(samples, "perfmetrics_runs_total", source="cli", name=name, outcome="success") == 5
    assert value(samples, "perfmetrics_runs_total", source="cli", name=name, outcome="failure") == 1
    assert runs.filter(success=True).count() == 5
    step = {"name": f"{name}-step", "outcome": "success"}
    assert value(samples, "perfmetrics_component_duration_seconds_count", **step) == 5
    # Each recording process kept its own files, named by its pid (the scraping process
    # has one too, for the HTTP request it served).
    assert {int(p.stem.split("_")[1]) for p in tmp_path.glob("counter_*.db")} >= {
        run.pid for run in runs
    }


@pytest.mark.django_db
def test_http_requests_are_counted_by_route_template_method_and_status(api_client):
    labels = {
        "route": "orchestrate/intelligence/performance/runs/<int:pk>",
        "method": "GET",
        "status": "404",
    }
    before = value(scrape(), "perfmetrics_http_requests_total", **labels) or 0.0

    api_client.get("/orchestrate/intelligence/performance/runs/999999")
    api_client.get("/orchestrate/intelligence/performance/runs/888888")
    samples = scrape()

    assert value(samples, "perfmetrics_http_requests_total", **labels) == before + 2
    count = value(samples, "perfmetrics_http_request_duration_seconds_count", **labels)
    assert count == before + 2
    assert not any("999999" in line for line in samples)


@pytest.mark.django_db
def test_a_path_no_route_matches_is_one_series():
    Client().get("/no/such/path/1")
    Client().get("/no/such/path/2")

    samples = scrape()

    unmatched = {"route": "<unmatched>", "method": "GET", "status": "404"}
    assert (value(samples, "perfmetrics_http_requests_total", **unmatched) or 0) >= 2


@pytest.mark.django_db
def test_the_regression_gauge_flags_a_regressed_component(api_client):
    from datetime import timedelta

    from perfmetrics import regression_gauge
    from perfmetrics.tests.conftest import make_run

    for i in range(20):
        make_run(100 + i % 5, release="v1", ago=timedelta(minutes=300, seconds=-i))
        make_run(200 + i % 5, release="v2", ago=timedelta(minutes=200, seconds=-i))
    regression_gauge.forget()

    samples = scrape()
    regression_gauge.forget()

    labels = {"run_name": "total_orchestration", "component": "total_orchestration"}
    assert value(samples, "perfmetrics_regression", kind="release", **labels) == 1.0
