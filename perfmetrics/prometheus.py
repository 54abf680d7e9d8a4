"""Prometheus metrics of recorded runs, served at ``/metrics``.

A run is observed when its record commits (see :func:`perfmetrics.services.record_run`),
so Prometheus counts exactly the runs the database holds: runs that were not recorded
(unrecorded client errors, ``PERFMETRICS["ENABLED"]`` off, rolled-back transactions)
are not counted. Labels are run and component names, the source and the outcome, never
the project, so the number of series stays bounded however many projects there are.

Several worker processes (gunicorn) each count only what they served, so set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory writable by every worker, in the
environment the server starts with: prometheus_client chooses its storage when it is
first imported. Each worker then writes its samples to memory-mapped files there, and
``/metrics``, whichever worker answers, adds up the files of every worker, the live ones
and those that have exited. ``gunicorn.conf.py`` tells the library when a worker exits.
Empty the directory whenever the server (re)starts, or counts of the previous server
carry over. Without the variable (development server, tests) the metrics live in the
process's default registry, together with its process and garbage-collector metrics.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .values import RunResult

# Decided once, like prometheus_client decides where samples are stored.
MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

# 5 ms .. 10 s; 1 s and 2 s are the default component and run thresholds, so the
# share of runs within them can be read off the buckets.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

RUNS = Counter(
    "perfmetrics_runs",
    "Recorded runs by run name, source and outcome.",
    ["name", "source", "outcome"],
)
RUN_DURATION = Histogram(
    "perfmetrics_run_duration_seconds",
    "Wall time of recorded runs.",
    ["name", "outcome"],
    buckets=DURATION_BUCKETS,
)
COMPONENT_DURATION = Histogram(
    "perfmetrics_component_duration_seconds",
    "Wall time of the components of recorded runs, by component name.",
    ["name", "outcome"],
    buckets=DURATION_BUCKETS,
)
BREACHES = Counter(
    "perfmetrics_run_threshold_breaches",
    "Recorded runs outside a per-run threshold (total time, a component's time, memory).",
    ["name"],
)

# HTTP requests (perfmetrics.http_metrics): label values are the URL pattern, the method and
# the status code, so the number of series is bounded by the URLconf.
HTTP_DURATION = Histogram(
    "perfmetrics_http_request_duration_seconds",
    "Wall time of HTTP requests, by URL pattern, method and status.",
    ["route", "method", "status"],
    buckets=DURATION_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "perfmetrics_http_requests",
    "HTTP requests by URL pattern, method and status.",
    ["route", "method", "status"],
)


def outcome(success: bool) -> str:
    return "success" if success else "failure"


def observe_run(result: RunResult, *, breached: bool) -> None:
    """Count one recorded run and its components; call once its record has committed."""
    run_outcome = outcome(result.success)
    RUNS.labels(result.name, result.source, run_outcome).inc()
    RUN_DURATION.labels(result.name, run_outcome).observe(result.duration_ms / 1000)
    for c in result.components:
        COMPONENT_DURATION.labels(c.name, outcome(c.success)).observe(c.duration_ms / 1000)
    if breached:
        BREACHES.labels(result.name).inc()


# Collectors the project adds (``register_collector``): read at scrape time, so they report
# state every worker sees alike (the database), not per-process counts.
_EXTRA_COLLECTORS: list[Collector] = []


def register_collector(collector: Collector) -> None:
    """Serve ``collector`` on ``/metrics`` too, in both modes; call once, from an app's
    ``ready()``. Its ``collect`` runs on every scrape and must not raise."""
    if collector in _EXTRA_COLLECTORS:
        return
    _EXTRA_COLLECTORS.append(collector)
    if not MULTIPROCESS_DIR:
        REGISTRY.register(collector)


def exposition_registry() -> CollectorRegistry:
    """The registry ``/metrics`` renders: every worker's files, or this process's metrics,
    with the registered collectors."""
    if not MULTIPROCESS_DIR:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=MULTIPROCESS_DIR)  # type: ignore[no-untyped-call]
    for collector in _EXTRA_COLLECTORS:
        registry.register(collector)
    return registry
