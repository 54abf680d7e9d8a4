"""``/metrics`` served by gunicorn with two workers, against the test database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from conftest import make_project
from perfmetrics.models import Run
from perfmetrics.tests.prometheus_support import Samples, database_url, parse, value

ROOT = Path(__file__).resolve().parents[2]
ORCHESTRATE = {"action": "analyze_and_orchestrate", "options": {"dry_run": True}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def post(url: str, token: str) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(ORCHESTRATE).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited during startup"
        try:
            if get(f"{url}/health")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer /health within 60 s")


def wait_until_gone(pid: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"worker {pid} did not exit within 30 s")


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """gunicorn with two workers and the repository's gunicorn.conf.py; always stopped."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "orchestrator_site.settings",
    }
    url = f"http://127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    command += ["--bind", url.removeprefix("http://"), "--workers", "2"]
    # The default control socket is one path per user, shared by every running gunicorn.
    command += ["--no-control-socket", "orchestrator_site.wsgi"]
    with (tmp_path / "gunicorn.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            wait_until_up(url, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def orchestrate_concurrently(url: str, token: str, count: int) -> list[int]:
    """Concurrent calls, so a second worker answers while the first is busy."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(
            pool.map(lambda _: post(f"{url}/orchestrate/project/PROM-001", token), range(count))
        )


def scrape(url: str) -> Samples:
    status, body = get(f"{url}/metrics")
    assert status == 200
    return parse(body.decode())


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
