"""``perftest_last_status`` on ``/metrics``: whether each project's newest stored test run
passed (docs/design.md §5, "History").

The nightly test runs in its own pod, so the gauge is read from the stored runs at scrape
time rather than set by the command: whichever server process answers the scrape reports
the same value. One series per project that has stored runs (a handful: the projects the
CronJobs test).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .runs import latest_runs_by_project

logger = logging.getLogger(__name__)


class PerftestStatusCollector(Collector):
    def describe(self) -> Iterator[Metric]:
        """The series' names without touching the database (the registry asks at start-up,
        possibly before ``migrate``)."""
        yield from _families()

    def collect(self) -> Iterator[Metric]:
        status, started = _families()
        try:
            runs = latest_runs_by_project()
        except DatabaseError:
            # A scrape must answer while the database is away; the series are then absent.
            logger.warning("perftest_last_status: the database did not answer", exc_info=True)
            runs = []
        for run in runs:
            comparison = comparison_state(run.comparison_passed)
            status.add_metric([run.project_id, comparison], float(run.passed))
            started.add_metric([run.project_id], run.started_at.timestamp())
        yield status
        yield started


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
    status = GaugeMetricFamily(
        "perftest_last_status",
        "1 when the project's newest perftest run passed every check (its baseline "
        "comparison included), 0 when it failed; comparison: none, passed or failed.",
        labels=["project", "comparison"],
    )
    started = GaugeMetricFamily(
        "perftest_last_run_timestamp_seconds",
        "When the project's newest perftest run started (Unix time).",
        labels=["project"],
    )
    return status, started


def comparison_state(comparison_passed: bool | None) -> str:
    """The ``comparison`` label: ``none`` (compared with nothing), ``passed``, ``failed``."""
    if comparison_passed is None:
        return "none"
    return "passed" if comparison_passed else "failed"
