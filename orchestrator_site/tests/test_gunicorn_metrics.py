"""``/metrics`` served by gunicorn with two workers, against the test database."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from conftest import make_project
from perfmetrics.models import Run
from perfmetrics.tests.prometheus_support import Samples, parse, value

from .live_servers import call, database_url, running_gunicorn, wait_for

ORCHESTRATE = {"action": "analyze_and_orchestrate", "options": {"dry_run": True}}


def post(url: str, token: str) -> int:
    return call(url, "POST", body=ORCHESTRATE, headers={"Authorization": f"Token {token}"}).status


def wait_until_gone(pid: int) -> None:
    wait_for(lambda: not psutil.pid_exists(pid), timeout=30, message=f"worker {pid} did not exit")


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """gunicorn with two workers and the repository's gunicorn.conf.py (see
    ``running_gunicorn``); always stopped."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {"DATABASE_URL": database_url(), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with running_gunicorn(env=env, log_dir=tmp_path, workers=2) as gunicorn:
        yield gunicorn.url


def orchestrate_concurrently(url: str, token: str, count: int) -> list[int]:
    """Concurrent calls, so a second worker answers while the first is busy."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(
            pool.map(lambda _: post(f"{url}/orchestrate/project/PROM-001", token), range(count))
        )


def scrape(url: str) -> Samples:
    answer = call(f"{url}/metrics", timeout=30)
    assert answer.status == 200
    return parse(answer.body.decode())


def counted(samples: Samples, outcome: str = "success") -> float | None:
    labels = {"name": "total_orchestration", "source": "api", "outcome": outcome}
    return value(samples, "perfmetrics_runs_total", **labels)


def test_every_worker_reports_the_runs_of_all_workers_past_and_present(server):
    make_project("PROM-001", backlog=3)
    user = get_user_model().objects.create_user("metrics-user", password="unused-password-1")
    token = Token.objects.create(user=user).key
    for _ in range(5):
        assert set(orchestrate_concurrently(server, token, 8)) == {200}
        if Run.objects.values("pid").distinct().count() >= 2:
            break
    assert post(f"{server}/orchestrate/project/NO-SUCH", token) == 404
    pids = sorted({run.pid for run in Run.objects.all()})
    assert len(pids) == 2, "both workers served orchestrations"

    # Either worker alone served fewer runs than the total, so every scrape that shows the
    # total was summed over both workers.
    for _ in range(6):
        samples = scrape(server)
        assert counted(samples) == Run.objects.count()
        assert counted(samples, "failure") is None
        component = {"name": "project_analysis", "outcome": "success"}
        assert value(samples, "perfmetrics_component_duration_seconds_count", **component) == (
            Run.objects.count()
        )

    os.kill(pids[0], signal.SIGTERM)
    wait_until_gone(pids[0])
    assert set(orchestrate_concurrently(server, token, 4)) == {200}

    assert Run.objects.filter(pid=pids[0]).exists()
    assert counted(scrape(server)) == Run.objects.count()
