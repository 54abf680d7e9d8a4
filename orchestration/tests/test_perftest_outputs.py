"""The command's outputs: JSON on stdout with ``--json -``, JUnit XML, quiet ``-v 0``.

The plan itself is replaced by a ready report, so no server is started here (the
end-to-end tests in test_perftest_command.py start one).
"""

from __future__ import annotations

import json
from io import StringIO
from xml.etree import ElementTree

import pytest
from django.core.management import CommandError, call_command

from conftest import make_project
from orchestration.management.commands import perftest
from orchestration.perftest.junit import render_junit
from orchestration.perftest.values import Check
from orchestration.tests.perftest_builders import make_report

# The command stores every test run it reports.
pytestmark = pytest.mark.django_db

FAILING = (
    Check("server.total_orchestration.p95_ms", True, 9.0, 2000.0, "p95 must be below 2000 ms"),
    Check("concurrency.throughput", False, 0.5, 1.0, "concurrent throughput fell"),
)


@pytest.fixture
def planned(monkeypatch):
    """The command returns this report instead of running the plan."""

    def use(report):
        monkeypatch.setattr(perftest.Command, "run_plan", lambda self, options: report)

    return use


def run(*args: str) -> tuple[str, str, CommandError | None]:
    out, err = StringIO(), StringIO()
    try:
        call_command("perftest", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_json_dash_puts_only_the_json_report_on_stdout_and_the_text_on_stderr(planned):
    planned(make_report())

    out, err, error = run("--json", "-")

    assert error is None
    assert json.loads(out)["label"] == "pt-1"
    assert "PASSED: all 1 checks passed." in err


def test_json_dash_with_verbosity_0_writes_nothing_but_the_json(planned):
    planned(make_report(checks=FAILING))

    out, err, error = run("--json", "-", "-v", "0")

    assert error is not None
    assert error.returncode == 1
    assert json.loads(out)["failed_checks"] == ["concurrency.throughput"]
    assert err == ""


def test_junit_has_one_test_case_per_check_and_a_failure_for_each_failed_one(planned, tmp_path):
    planned(make_report(checks=FAILING))
    path = tmp_path / "junit.xml"

    out, _, error = run("--junit", str(path))

    assert error is not None
    assert error.returncode == 1
    assert "FAILED: 1 of 2 checks failed" in out
    suite = ElementTree.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == [check.name for check in FAILING]
    assert cases["concurrency.throughput"].get("classname") == "perftest.concurrency"
    failure = cases["concurrency.throughput"].find("failure")
    assert failure is not None
    assert failure.get("message") == "concurrent throughput fell"
    assert cases["server.total_orchestration.p95_ms"].find("failure") is None


def test_junit_xml_escapes_what_a_check_says():
    report = make_report(checks=(Check("a.<b>", False, None, None, 'said "x" & <y>'),))

    root = ElementTree.fromstring(render_junit(report).encode())

    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == 'said "x" & <y>'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--junit", "-"], "--junit needs a file name; only --json may be '-'"),
        (["--junit", "/no/such/dir/j.xml"], "--junit: no directory for '/no/such/dir/j.xml'"),
    ],
)
def test_unusable_output_files_are_usage_errors_before_any_request(args, message):
    make_project()

    _, _, error = run(*args)

    assert error is not None
    assert error.returncode == 2
    assert str(error) == message
