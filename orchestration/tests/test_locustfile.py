"""The repository's locustfile: perftest's request mix, tagged ``locust``, and it runs."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from conftest import make_project
from orchestration.perftest.phases import run_label
from orchestration.perftest.plan import metrics_call, orchestrate_call
from orchestration.perftest.values import Phase
from perfmetrics.models import Run, Source

ROOT = Path(__file__).resolve().parents[2]


def locustfile_calls() -> dict[str, Any]:
    """The locustfile's requests, read in a separate interpreter: importing locust patches
    the standard library with gevent, which this test process must not get."""
    script = (
        "import json, dataclasses, locustfile as f; print(json.dumps({n: dataclasses.asdict("
        "getattr(f, n)) for n in ('BASELINE', 'PATTERN', 'METRICS')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return dict(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust is not installed")
def test_its_requests_are_perftests_with_the_locust_source():
    calls = locustfile_calls()

    perftest = orchestrate_call(
        "TEST-001",
        pattern_recognition=True,
        dry_run=True,
        source=Source.PERFTEST.value,
        label=run_label("x", Phase.PATTERN),
    )
    assert calls["PATTERN"]["body"] == perftest.body
    assert calls["PATTERN"]["path"] == perftest.path
    assert calls["PATTERN"]["headers"]["X-Perf-Source"] == Source.LOCUST
    assert calls["PATTERN"]["headers"]["X-Perf-Label"].endswith(":pattern_recognition")
    assert calls["BASELINE"]["body"]["options"]["enable_pattern_recognition"] is False
    assert calls["METRICS"]["path"] == metrics_call("TEST-001").path


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust is not installed")
def test_a_short_headless_locust_run_records_runs_tagged_locust(live_server):
    make_project("TEST-001", backlog=3)
    user = get_user_model().objects.create_user(username="locust")
    token = Token.objects.create(user=user)
    env = {
        **os.environ,
        "PERFTEST_TOKEN": token.key,
        "LOCUST_PROJECT": "TEST-001",
        "LOCUST_LABEL": "lc-test",
    }

    result = subprocess.run(
        [sys.executable, "-m", "locust", "-f", "locustfile.py", "--headless", "--users", "2",
         "--spawn-rate", "2", "--run-time", "3s", "--host", live_server.url, "--only-summary",
         "--exit-code-on-error", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-2000:]
    runs = Run.objects.filter(source="locust")
    assert runs.exists()
    assert set(runs.values_list("labels__label", flat=True)) <= {
        "lc-test:baseline",
        "lc-test:pattern_recognition",
    }
    assert not Run.objects.exclude(source="locust").exists()
