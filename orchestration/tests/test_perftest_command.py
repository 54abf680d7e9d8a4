"""``manage.py perftest`` end to end: the command starts gunicorn on the test database.

The end-to-end tests need committed rows (the server is another process), hence
``transaction=True``; they are few because each starts a server.
"""

from __future__ import annotations

import json
import os
import subprocess
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from conftest import add_closed_sprints, make_project
from orchestration.models import (
    DailyScrumSchedule,
    PerftestBaseline,
    PerftestRun,
    Project,
    Sprint,
    SprintRetrospective,
    Task,
)
from orchestrator_site.tests.live_servers import database_url, free_port, run_manage
from perfmetrics.models import Run
from perfmetrics.tests.conftest import make_run

SMALL = ["--requests", "3", "--concurrency", "2", "--warmup", "1"]
# Few requests on a shared machine: these tests check the mechanics, not the speed.
LENIENT = ["--max-p95-factor", "1000", "--min-throughput-ratio", "0.001"]


def seed() -> None:
    project = make_project("TEST-001", backlog=12)
    add_closed_sprints(project, [(10, 8), (10, 10), (9, 9)])
    for other in ("TEST-002", "TEST-003", "TEST-004"):
        add_closed_sprints(make_project(other, backlog=2), [(10, 9), (10, 10), (11, 10)])


def domain_state() -> dict[str, list[tuple[object, ...]]]:
    return {
        "projects": list(Project.objects.values_list("project_id", "status", "sprint_count")),
        "sprints": list(Sprint.objects.values_list("sprint_id", "status", "end_date")),
        "tasks": list(
            Task.objects.values_list(
                "task_id", "status", "sprint_id", "assigned_to_id", "progress_percentage"
            )
        ),
        "schedules": list(DailyScrumSchedule.objects.values_list("name", "is_active")),
        "retrospectives": list(SprintRetrospective.objects.values_list("sprint_id")),
    }


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    return run_manage(*args, env={**os.environ, "DATABASE_URL": database_url()})


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_test_passes_records_tagged_runs_and_changes_no_domain_row(tmp_path):
    seed()
    before = domain_state()
    report_file = tmp_path / "report.json"
    junit_file = tmp_path / "junit.xml"
    html_file = tmp_path / "report.html"

    result = manage(
        "perftest", *SMALL, *LENIENT, "--label", "pt-e2e", "--json", str(report_file),
        "--junit", str(junit_file), "--html", str(html_file), "--save-baseline", "first",
        "--compare", "latest-passing", "-v", "2",
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSED" in result.stdout
    assert "No passing run of TEST-001 with these options yet" in result.stdout
    # The report on stdout; the -v 2 preamble and the phases' progress on stderr.
    assert "Label: pt-e2e\n" in result.stderr
    assert "3/3 baseline (100%)\n" in result.stderr
    assert "6/6 concurrent (100%)\n" in result.stderr
    assert "Label:" not in result.stdout
    assert "(100%)" not in result.stdout
    report = json.loads(report_file.read_text())
    assert report["passed"] is True
    assert report["label"] == "pt-e2e"
    assert report["dry_run"] is True
    phases = report["phases"]
    assert list(phases) == ["baseline", "pattern_recognition", "metrics_endpoint", "concurrent"]
    assert [phases[p]["requests"] for p in phases] == [3, 3, 3, 6]
    assert all(phases[p]["errors"] == 0 for p in phases)
    assert phases["concurrent"]["concurrency"] == 2
    assert set(phases["baseline"]["latency"]) >= {"p50_ms", "p95_ms", "p99_ms", "max_ms"}
    assert list(report["server"]) == ["baseline", "pattern_recognition", "concurrent", "all"]
    assert report["server"]["all"]["runs"] == 12
    assert "full_pattern_analysis" not in report["server"]["baseline"]["components"]
    assert (
        report["server"]["pattern_recognition"]["components"]["full_pattern_analysis"]["count"] == 3
    )
    assert {c["name"] for c in report["checks"]} >= {
        "server.runs_recorded",
        "server.total_orchestration.p95_ms",
        "server.full_pattern_analysis.p95_ms",
        "server.memory_increase.p95_mb",
        "concurrency.throughput",
        "concurrency.p95_factor",
    }
    assert junit_file.read_text().count("<testcase ") == len(report["checks"])
    assert html_file.read_text().count('<svg class="chart"') == 15
    runs = Run.objects.filter(labels__label__startswith="pt-e2e:")
    assert set(runs.values_list("source", flat=True)) == {"perftest"}
    assert set(runs.values_list("dry_run", flat=True)) == {True}
    assert set(runs.values_list("labels__label", flat=True)) == {
        "pt-e2e:baseline",
        "pt-e2e:concurrent",
        "pt-e2e:pattern_recognition",
        "pt-e2e:preflight",
        "pt-e2e:warmup",
    }
    assert runs.count() == 1 + 1 + 3 + 3 + 6
    assert Run.objects.exclude(labels__label__startswith="pt-e2e:").count() == 0
    assert domain_state() == before
    assert PerftestBaseline.objects.get(name="first").report["label"] == "pt-e2e"
    stored = PerftestRun.objects.get()
    assert (stored.label, stored.passed, stored.release) == ("pt-e2e", True, "unknown")
    assert stored.comparison_passed is None
    assert stored.options["target"] == "gunicorn started by perftest, 2 workers x 4 threads"
    # The token made for the run is gone; its user stays for the next run.
    assert not Token.objects.exists()
    assert get_user_model().objects.filter(username="perftest").exists()


@pytest.mark.django_db(transaction=True)
def test_a_mutating_run_that_regresses_against_its_baseline_fails_with_the_checks_listed():
    seed()
    impossible = {"latency": {"p50_ms": 0.001, "p95_ms": 0.001}, "throughput_rps": 1e9}
    PerftestBaseline.objects.create(
        name="impossible",
        report={"phases": {"baseline": impossible, "concurrent": impossible}},
    )
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError) as failure:
        call_command(
            "perftest", *SMALL, *LENIENT, "--mutate", "--compare", "impossible", "-v", "0",
            stdout=out, stderr=err,
        )  # fmt: skip

    assert failure.value.returncode == 1
    assert err.getvalue() == "", "-v 0: no progress"
    assert "baseline.baseline.p95_ms" in str(failure.value)
    text = out.getvalue()
    assert "Against baseline 'impossible'" in text
    failed_lines = text[text.index("FAILED:") :].splitlines()[1:]
    assert {line.split(":")[0].strip(" -") for line in failed_lines} == {
        f"baseline.{phase}.{metric}"
        for phase in ("baseline", "concurrent")
        for metric in ("p50_ms", "p95_ms", "throughput_rps")
    }
    measured = Run.objects.filter(source="perftest").exclude(labels__label__endswith=":warmup")
    assert set(measured.exclude(labels__label__endswith=":preflight").values_list(
        "dry_run", flat=True
    )) == {False}  # fmt: skip
    assert PerftestRun.objects.get().comparison_passed is False
    # Really executed: the first measured orchestration opened the next sprint.
    assert Sprint.objects.filter(project_id="TEST-001", status="in_progress").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_open_model_run_for_a_duration_sends_the_rate_and_keeps_its_ramp_apart():
    seed()

    result = manage(
        "perftest", *LENIENT, "--duration", "1s", "--rate", "10/s", "--ramp", "1s",
        "--concurrency", "2", "--warmup", "1", "--label", "pt-open", "--json", "-", "-v", "0",
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert (report["requests"], report["duration_s"], report["rate_per_s"]) == (None, 1.0, 10.0)
    # Due at 0, 0.1, ... 0.9 s: ten arrivals in the second.
    assert report["phases"]["concurrent"]["requests"] == 10
    assert report["server"]["concurrent"]["runs"] == 10
    # 10/s reached after a 1 s linear ramp: half as many arrivals, none of them measured.
    assert "ramp" not in report["phases"]
    assert Run.objects.filter(labels__label="pt-open:ramp").count() == 5


def run_command(*args: str) -> CommandError:
    with pytest.raises(CommandError) as failure:
        call_command("perftest", *args, stdout=StringIO())
    return failure.value


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "--concurrency must be between 1"),
        (["--requests", "-1"], "--requests must be between 1"),
        (["--warmup", "-3"], "--warmup must be between 0"),
        (["--tolerance", "-1"], "--tolerance must be 0 or more"),
        (["--workers", "0"], "--workers must be between 1"),
        (["--url", "localhost:8000", "--token", "x"], "--url must be an http"),
        (["--url", "http://localhost:8000"], "--url needs --token"),
        (["--timeout", "soon"], "argument --timeout: invalid float value: 'soon'"),
        (["--duration", "soon"], "argument --duration: expected a duration like 60s"),
        (["--rate", "fast"], "argument --rate: expected a rate like 50/s"),
        (["--rate", "0/s"], "--rate must be above 0"),
        (["--ramp", "1 week"], "argument --ramp: expected a duration"),
        (["--requests", "5", "--duration", "10s"], "give --requests or --duration, not both"),
        (["--duration", "48h"], "--duration must be above 0 and at most 86400s"),
    ],
)
def test_nonsense_arguments_are_one_line_usage_errors(args, message, monkeypatch):
    monkeypatch.delenv("PERFTEST_TOKEN", raising=False)

    error = run_command(*args)

    assert error.returncode == 2
    assert message in str(error)
    assert "\n" not in str(error)


@pytest.mark.django_db
def test_an_unknown_project_is_a_usage_error():
    error = run_command("--project", "NOPE-404")

    assert error.returncode == 2
    assert str(error) == "unknown project 'NOPE-404'"


@pytest.mark.django_db
def test_an_unknown_baseline_is_a_usage_error():
    make_project()
    PerftestBaseline.objects.create(name="v1", report={"phases": {}})

    error = run_command("--compare", "v2")

    assert error.returncode == 2
    assert str(error) == "unknown baseline 'v2' (saved: v1)"


@pytest.mark.django_db
def test_an_existing_baseline_is_not_overwritten_without_asking():
    make_project()
    PerftestBaseline.objects.create(name="v1", report={"phases": {}})

    error = run_command("--save-baseline", "v1")

    assert error.returncode == 2
    assert "--replace-baseline" in str(error)


@pytest.mark.django_db
def test_a_label_of_a_recent_test_run_is_refused_so_runs_never_mix():
    make_project()
    make_run(10.0, project_id="TEST-001", source="perftest")
    Run.objects.update(labels={"label": "pt-7:baseline"})

    error = run_command("--label", "pt-7")

    assert error.returncode == 2
    assert "label 'pt-7' was used by a recent test run" in str(error)


@pytest.mark.django_db
def test_an_unreachable_url_is_a_usage_error():
    make_project()
    url = f"http://127.0.0.1:{free_port()}"

    error = run_command("--url", url, "--token", "x", "--warmup", "0")

    assert error.returncode == 2
    assert str(error).startswith(f"cannot reach {url}: ConnectionRefusedError")


@pytest.mark.django_db(transaction=True)
def test_a_rejected_token_is_a_usage_error_and_nothing_is_measured(live_server):
    make_project()

    error = run_command("--url", live_server.url, "--token", "not-a-token")

    assert error.returncode == 2
    assert str(error).startswith("the server rejected the token (HTTP 401")
    assert not Run.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--concurrency", "0"], "CommandError: --concurrency must be between 1 and 256, got 0"),
        (["--requests", "many"], "CommandError: argument --requests: invalid int value: 'many'"),
    ],
)
def test_the_cli_prints_usage_errors_as_one_line_without_a_traceback(args, line):
    result = manage("perftest", *args)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [line]
    assert result.stdout == ""
