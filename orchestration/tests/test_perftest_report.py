from __future__ import annotations

import json
import threading
from io import StringIO

import pytest
from django.core.management.base import OutputWrapper

from orchestration.perftest.progress import PhaseProgress
from orchestration.perftest.report import (
    metrics_from_json,
    metrics_of,
    render_report,
    render_table,
    report_to_json,
)
from orchestration.perftest.values import (
    Check,
    MetricChange,
)
from orchestration.tests.perftest_builders import make_report


def test_tables_pad_columns_and_right_align_numbers():
    table = render_table(["name", "ms"], [["a", "1.0"], ["long name", "100.5"]])

    assert table.splitlines() == [
        "name          ms",
        "---------  -----",
        "a            1.0",
        "long name  100.5",
    ]


def test_the_report_shows_every_phase_the_server_statistics_and_the_verdict():
    text = render_report(make_report())

    for phase in ("baseline", "pattern_recognition", "metrics_endpoint", "concurrent"):
        assert phase in text
    server = text[text.index("Server-side statistics") :].splitlines()
    assert server[3].startswith("all (20 runs, memory +0.5 MB p95)")
    assert server[4].split() == [
        "total_orchestration",
        "20",
        "20",
        "5.0",
        "5.0",
        "9.0",
        "9.5",
        "10.0",
    ]
    assert server[5].split()[:3] == ["project_analysis", "20", "20"]
    assert text.splitlines()[-1] == "PASSED: all 1 checks passed."


def test_failing_checks_are_listed_at_the_end():
    checks = (
        Check("ok.check", True, 1.0, 1.0, "fine"),
        Check("concurrency.throughput", False, 5.0, 8.0, "5 req/s is below 8 req/s"),
    )

    lines = render_report(make_report(checks=checks)).splitlines()

    assert lines[-2:] == [
        "FAILED: 1 of 2 checks failed:",
        "  - concurrency.throughput: 5 req/s is below 8 req/s",
    ]


def test_a_comparison_table_appears_when_compared_with_a_baseline():
    change = MetricChange("baseline", "p95_ms", 10.0, 20.0, 100.0, True)

    text = render_report(make_report(comparison=(change,)))

    assert "Against baseline 'v1'" in text
    assert "baseline.p95_ms" in text
    assert "REGRESSED" in text


def test_the_json_report_is_keyed_by_phase_and_reads_back_as_baseline_metrics():
    report = make_report()

    data = json.loads(json.dumps(report_to_json(report)))

    assert set(data["phases"]) == {
        "baseline",
        "pattern_recognition",
        "metrics_endpoint",
        "concurrent",
    }
    server = data["server"]["all"]
    assert list(server) == [
        "phase",
        "runs",
        "successful_runs",
        "memory_increase_p95_mb",
        "components",
    ]
    assert (server["runs"], server["successful_runs"]) == (20, 20)
    assert list(server["components"]) == ["total_orchestration", "project_analysis"]
    total = server["components"]["total_orchestration"]
    assert set(total) >= {"name", "count", "successful", "avg_ms", "p50_ms", "p99_ms", "max_ms"}
    assert (total["name"], total["p95_ms"], total["max_ms"]) == ("total_orchestration", 9.0, 10.0)
    assert data["passed"] is True
    assert data["failed_checks"] == []
    assert metrics_from_json(data) == metrics_of(report.phases)


@pytest.mark.parametrize(
    "data",
    [{}, {"phases": []}, {"phases": {"baseline": {"latency": {}}}}, {"phases": {"b": 3}}],
)
def test_anything_but_a_report_is_refused_as_a_baseline(data):
    with pytest.raises(ValueError, match="not a perftest report"):
        metrics_from_json(data)


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_progress_is_a_bar_redrawn_per_phase():
    screen = Terminal()
    progress = PhaseProgress(OutputWrapper(screen))

    progress.start("baseline", 2)
    progress.advance()
    progress.advance()
    progress.finish()
    progress.start("concurrent", 1)

    frames = screen.getvalue().split("\r")
    assert frames[2].endswith("1/2 baseline")
    assert frames[3].endswith("2/2 baseline\n")
    assert frames[4].endswith("0/1 concurrent")


def test_in_logs_progress_is_plain_lines_from_threads_too():
    log = StringIO()
    progress = PhaseProgress(OutputWrapper(log))
    progress.start("concurrent", 40)

    workers = [threading.Thread(target=progress.advance) for _ in range(40)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert lines[0] == "0/40 concurrent (0%)"
    assert lines[-1] == "40/40 concurrent (100%)"
    assert len(lines) == 11
