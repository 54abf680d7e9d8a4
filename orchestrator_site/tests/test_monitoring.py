"""k8s/monitoring/: the rules pass promtool and their unit tests, the PodMonitor scrapes the
web pods, the Grafana dashboard queries only metrics /metrics exports, and a real
Prometheus server scraping gunicorn's two workers records what the API counts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token

from conftest import make_project
from perfmetrics.models import Run
from perfmetrics.tests.builders import make_run, part

from .deployfiles import MONITORING, one
from .live_servers import call, database_url, free_port, running_gunicorn, wait_for

RULES = MONITORING / "prometheusrule.yaml"
RULE_TESTS = MONITORING / "prometheusrule.test.yml"
DASHBOARD = MONITORING / "grafana-dashboard.json"
PROMTOOL = shutil.which("promtool") or "promtool"
PROMETHEUS = shutil.which("prometheus") or "prometheus"
needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool is not installed (Debian package prometheus)"
)
needs_prometheus = pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="prometheus is not installed (Debian package prometheus)",
)


def rule_groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = yaml.safe_load(RULES.read_text())["spec"]["groups"]
    return groups


def write_rules(directory: Path) -> Path:
    """The PrometheusRule's groups as a plain rule file, as Prometheus itself reads them."""
    path = directory / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": rule_groups()}))
    return path


def alerts() -> set[str]:
    return {rule["alert"] for group in rule_groups() for rule in group["rules"] if "alert" in rule}


@needs_promtool
def test_promtool_accepts_the_rules(tmp_path):
    checked = subprocess.run(
        [PROMTOOL, "check", "rules", str(write_rules(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs_promtool
def test_the_rules_pass_their_promtool_unit_tests(tmp_path):
    write_rules(tmp_path)
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)

    tested = subprocess.run(
        [PROMTOOL, "test", "rules", RULE_TESTS.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test_that_fires_it_and_one_that_does_not():
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    cases = [case for test in tests for case in test.get("alert_rule_test", [])]

    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    silent = {case["alertname"] for case in cases if not case["exp_alerts"]}

    assert alerts() == {
        "PerfmetricsThresholdBreaches",
        "PerfmetricsRunFailures",
        "PerfmetricsRegression",
        "OrchestratorTargetDown",
    }
    assert fired == alerts()
    assert silent == alerts()


def test_the_pod_monitor_scrapes_the_web_pods_named_port():
    monitor = yaml.safe_load((MONITORING / "podmonitor.yaml").read_text())
    deployment = one("Deployment", "orchestrator")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    (web,) = (c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "web")
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]

    assert monitor["kind"] == "PodMonitor"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert endpoint["port"] in {port["name"] for port in web["ports"]}
    assert endpoint["path"] == "/metrics"
    # The rules select job="orchestrator".
    assert {"targetLabel": "job", "replacement": "orchestrator"} in endpoint["relabelings"]


# --- the Grafana dashboard -------------------------------------------------------------------

PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "rate", "irate", "increase",
    "histogram_quantile", "unless", "offset", "and", "or", "on", "ignoring", "le",
}  # fmt: skip


def dashboard_queries() -> Iterator[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield panel["title"], target["expr"]
    for annotation in dashboard["annotations"]["list"]:
        yield annotation["name"], annotation["expr"]


def metric_names(expr: str) -> set[str]:
    """Identifiers of a query outside label matchers, strings, grouping lists and ranges."""
    bare = re.sub(r'"[^"]*"', "", expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\b(?:by|without)\s*\([^)]*\)", "", bare)
    bare = re.sub(r"\b\d+(?:ms|[smhdwy])\b", "", bare)  # offset 5m
    names = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare))
    return {n for n in names if n not in PROMQL_WORDS and not re.fullmatch(r"\d\w*", n)}


SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("_total",), "gauge": ("",)}


def exported_names(text: str) -> set[str]:
    """Series names /metrics has samples of, and those of every family it declares (a
    gauge without samples yet, a histogram's _bucket)."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ")
            base = family.removesuffix("_total") if kind == "counter" else family
            names |= {base + suffix for suffix in SUFFIXES.get(kind, ("",))}
        elif line and not line.startswith("#"):
            names.add(line.split("{")[0].split(" ")[0])
    return names


@pytest.mark.django_db
def test_every_dashboard_query_uses_metrics_that_metrics_exports(
    api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_run(components=(part("full_pattern_analysis"),))
    api_client.get("/orchestrate/intelligence/performance/runs")
    exported = exported_names(Client().get("/metrics").content.decode())

    queries = list(dashboard_queries())

    assert queries
    for title, expr in queries:
        names = metric_names(expr)
        assert names, f"{title}: no metric in {expr}"
        assert names <= exported, f"{title}: {names - exported} not exported by /metrics"


def test_the_dashboard_shows_what_operators_look_for():
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = " ".join(expr for _, expr in dashboard_queries())

    assert "perfmetrics_component_duration_seconds_bucket" in exprs
    assert "histogram_quantile(0.5," in exprs
    assert "histogram_quantile(0.95," in exprs
    assert "perfmetrics_run_threshold_breaches_total" in exprs
    assert "perfmetrics_http_requests_total" in exprs
    assert 'status=~"4..|5.."' in exprs
    (releases,) = dashboard["annotations"]["list"]
    assert "perfmetrics_release_info" in releases["expr"]
    assert [p["id"] for p in dashboard["panels"]] == sorted({p["id"] for p in dashboard["panels"]})


# --- a real Prometheus scraping gunicorn -------------------------------------------------------


def prometheus_query(port: int, query: str) -> list[dict[str, Any]]:
    answer = call(
        f"http://127.0.0.1:{port}/api/v1/query?query={urllib.parse.quote(query)}", timeout=10
    )
    assert answer.status == 200, answer.body
    result: list[dict[str, Any]] = json.loads(answer.body)["data"]["result"]
    return result


def scalar(port: int, query: str) -> float | None:
    result = prometheus_query(port, query)
    return float(result[0]["value"][1]) if result else None


def orchestrate_batch(url: str, auth: dict[str, str], count: int) -> set[int]:
    """Concurrent dry-run orchestrations, so both workers answer some."""
    body = {"action": "analyze_and_orchestrate", "options": {"dry_run": True}}
    with ThreadPoolExecutor(max_workers=6) as pool:
        return set(
            pool.map(
                lambda _: (
                    call(
                        f"{url}/orchestrate/project/PROM-REAL", "POST", body=body, headers=auth
                    ).status
                ),
                range(count),
            )
        )


@needs_prometheus
@pytest.mark.django_db(transaction=True)
def test_a_real_prometheus_records_the_runs_the_api_counts(tmp_path):
    metrics_dir = tmp_path / "multiproc"
    metrics_dir.mkdir()
    env = {"DATABASE_URL": database_url(), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    make_project("PROM-REAL", backlog=3)
    token = Token.objects.create(user=get_user_model().objects.create_user("prom-user")).key
    auth = {"Authorization": f"Token {token}"}

    with running_gunicorn(env=env, log_dir=tmp_path, workers=2) as gunicorn:
        for _ in range(5):
            assert orchestrate_batch(gunicorn.url, auth, 12) == {200}
            if Run.objects.values("pid").distinct().count() == 2:
                break
        assert Run.objects.values("pid").distinct().count() == 2, "both workers served runs"
        api = json.loads(
            call(
                f"{gunicorn.url}/orchestrate/intelligence/performance/metrics?last_runs=1000",
                headers=auth,
            ).body
        )
        api_runs = api["component_metrics"]["total_orchestration"]["successful_calls"]

        with running_prometheus(tmp_path, target=gunicorn.url.removeprefix("http://")) as port:
            runs = 'perfmetrics:runs:sum{name="total_orchestration",source="api",outcome="success"}'
            posts = (
                'perfmetrics:http_requests:sum{route="orchestrate/project/<str:project_id>",'
                'method="POST",status="200"}'
            )
            wait_for(
                lambda: scalar(port, runs) is not None,
                timeout=60,
                message="Prometheus never evaluated the recording rule",
            )

            assert scalar(port, runs) == api_runs == Run.objects.count()
            assert scalar(port, posts) == api_runs
            assert scalar(port, 'up{job="orchestrator"}') == 1


@contextmanager
def running_prometheus(directory: Path, *, target: str) -> Iterator[int]:
    """prometheus on a free local port scraping ``target`` every second, with the rules of
    k8s/monitoring evaluated every second; always stopped."""
    port = free_port()
    config = directory / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(write_rules(directory))],
                "scrape_configs": [
                    {"job_name": "orchestrator", "static_configs": [{"targets": [target]}]}
                ],
            }
        )
    )
    log_path = directory / "prometheus.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={directory / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: _ready(port),
                timeout=60,
                message=lambda: log_path.read_text()[-2000:],
            )
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _ready(port: int) -> bool:
    try:
        return call(f"http://127.0.0.1:{port}/-/ready", timeout=2).status == 200
    except OSError:
        time.sleep(0.2)
        return False
