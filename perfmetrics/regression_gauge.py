"""Series computed when ``/metrics`` is scraped: ``perfmetrics_release_info`` and
``perfmetrics_regression``, the regression verdicts of ``reports.regression_report`` as a
gauge on ``/metrics``, so an alert rule can fire on them (docs/prometheus.md).

Computed when scraped, at most once per ``REGRESSION_GAUGE_SECONDS`` per process (a scrape
every 15 s must not run the test every 15 s), from the database every worker shares, so
any worker answers the same; it is not a multiprocess sample.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from django.db import DatabaseError
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from . import conf
from .values import RegressionReport

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_cached: tuple[float, RegressionReport | None] = (float("-inf"), None)


def current_report() -> RegressionReport | None:
    """The regression report of the default run name, recomputed when older than the TTL;
    None when the database cannot answer (the gauge is then absent, not wrong)."""
    global _cached
    from .reports import regression_report

    ttl = float(conf.get("REGRESSION_GAUGE_SECONDS"))
    with _lock:
        computed_at, report = _cached
        if time.monotonic() - computed_at < ttl:
            return report
        try:
            report = regression_report(name=conf.get("DEFAULT_RUN_NAME"))
        except DatabaseError:
            logger.exception("could not compute the regression gauge")
            report = None
        _cached = (time.monotonic(), report)
        return report


def forget() -> None:
    """Drop the cached report (tests)."""
    global _cached
    with _lock:
        _cached = (float("-inf"), None)


class RegressionCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        report = current_report()
        if report is None:
            return
        gauge = GaugeMetricFamily(
            "perfmetrics_regression",
            "1 when the component regressed (rank test and threshold), 0 when it was compared "
            "and did not; kind is release or window.",
            labels=["run_name", "component", "kind"],
        )
        for comparison in report.comparisons:
            for sample in comparison.components:
                gauge.add_metric(
                    [report.run_name or "", sample.component, comparison.kind],
                    1.0 if sample.regression else 0.0,
                )
        yield gauge


class ReleaseCollector(Collector):
    """``perfmetrics_release_info{release}`` 1: the release this process records runs under,
    for dashboards' release annotations."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily(
            "perfmetrics_release_info",
            "The release this process runs (PERFMETRICS['RELEASE']); always 1.",
            labels=["release"],
        )
        info.add_metric([conf.release()], 1.0)
        yield info


def computed_registry() -> CollectorRegistry:
    """The series computed when scraped rather than counted: the release, the regressions."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReleaseCollector())
    registry.register(RegressionCollector())
    return registry
