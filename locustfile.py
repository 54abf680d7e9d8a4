"""Exploratory load against a deployment with Locust (a development tool; README,
"Exploratory load"). ``manage.py perftest`` is the judged, repeatable test; this is for
watching a deployment under a load you steer from Locust's web page.

    PERFTEST_TOKEN=... LOCUST_PROJECT=TEST-001 \\
        locust -f locustfile.py --host https://orchestrator.example

The request mix is perftest's (``orchestration/perftest/plan.py``): orchestrations without
and with pattern recognition, dry runs unless ``LOCUST_MUTATE=1``, and the project's metrics
endpoint, in the proportions of perftest's default plan: 1 : 6 : 1 (20 requests of each
sequential phase, then 5 x 20 concurrent pattern-recognition orchestrations). Every
orchestration carries ``X-Perf-Source: locust`` and ``X-Perf-Label: <LOCUST_LABEL>:<kind>``,
so its runs are separable server-side (source ``locust`` in the runs list, the SQL views and
Prometheus).
"""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from locust import FastHttpUser, between, task

from orchestration.perftest.plan import Call, metrics_call, orchestrate_call

# perfmetrics.models.Source.LOCUST; not imported, so Locust needs no Django settings.
SOURCE = "locust"
PROJECT = os.environ.get("LOCUST_PROJECT", "TEST-001")
TOKEN = os.environ.get("PERFTEST_TOKEN", "")
DRY_RUN = os.environ.get("LOCUST_MUTATE", "") != "1"
# One label per Locust run, like perftest's: lc-<UTC time>-<hex>.
LABEL = os.environ.get("LOCUST_LABEL") or (
    f"lc-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"
)


def orchestration(kind: str, *, pattern_recognition: bool) -> Call:
    return orchestrate_call(
        PROJECT,
        pattern_recognition=pattern_recognition,
        dry_run=DRY_RUN,
        source=SOURCE,
        label=f"{LABEL}:{kind}",
    )


BASELINE = orchestration("baseline", pattern_recognition=False)
PATTERN = orchestration("pattern_recognition", pattern_recognition=True)
METRICS = metrics_call(PROJECT)


class OrchestratorUser(FastHttpUser):
    """One API client: a keep-alive connection and a short think time."""

    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        if not TOKEN:
            raise RuntimeError("set PERFTEST_TOKEN to an API token of the deployment")

    def send(self, call: Call, name: str) -> None:
        headers: dict[str, Any] = {"Authorization": f"Token {TOKEN}", **call.headers}
        if call.method == "POST":
            self.client.post(call.path, json=call.body, headers=headers, name=name)
        else:
            self.client.get(call.path, headers=headers, name=name)

    @task(1)
    def baseline(self) -> None:
        self.send(BASELINE, "orchestrate (no pattern recognition)")

    @task(6)
    def pattern_recognition(self) -> None:
        self.send(PATTERN, "orchestrate (pattern recognition)")

    @task(1)
    def metrics(self) -> None:
        self.send(METRICS, "performance metrics")
