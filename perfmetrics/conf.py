"""The ``PERFMETRICS`` setting, read on every access so ``override_settings`` works."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .values import Thresholds

DEFAULTS: dict[str, Any] = {
    "ENABLED": True,
    # Thresholds (docs/design.md §5); a metric meets its threshold when it is strictly
    # inside it. Component thresholds name the project's own components: the project
    # passes them in, perfmetrics knows no component by name.
    "TOTAL_MS": 2000.0,
    "COMPONENT_MS": {},
    "MEMORY_INCREASE_MB": 100.0,
    "SUCCESS_RATE": 0.95,
    # Default statistics window and the regression rule of the recommendations.
    "WINDOW_MINUTES": 60,
    "REGRESSION_PERCENT": 20.0,
    "MIN_RUNS_FOR_TRENDS": 10,
    # Run name the statistics endpoints report by default (None: every run name).
    "DEFAULT_RUN_NAME": None,
    # Newest runs of a project summarised with each measured run (``selectors.recent_summary``).
    "RESPONSE_WINDOW_RUNS": 100,
    # Retention: `prune_perfmetrics` keeps runs this many days (older ones become roll-ups).
    "RETENTION_DAYS": 30,
    # The release runs are recorded under (``releases.detect_release`` in a project's settings).
    "RELEASE": "unknown",
    # Regressions (``regressions.py``): newest successful runs compared per release, and the
    # significance level of the one-sided Mann-Whitney U test.
    "REGRESSION_SAMPLE_RUNS": 1000,
    "REGRESSION_ALPHA": 0.05,
    # The perfmetrics_regression gauge is recomputed at most this often (seconds, per process).
    "REGRESSION_GAUGE_SECONDS": 60,
    # Per-endpoint HTTP request metrics on /metrics (``http_metrics.HttpMetricsMiddleware``).
    "HTTP_METRICS": False,
    # Each recorded run sent as an OpenTelemetry trace (``tracing.py``; the OTLP exporter
    # reads OTEL_EXPORTER_OTLP_ENDPOINT). Off: OpenTelemetry is never imported.
    "TRACING": False,
    # Failed runs keep the last frames of their traceback, at most this many bytes.
    "TRACEBACK_BYTES": 8192,
}


def get(name: str) -> Any:
    configured: dict[str, Any] = getattr(settings, "PERFMETRICS", {})
    return configured.get(name, DEFAULTS[name])


def is_enabled() -> bool:
    return bool(get("ENABLED"))


def release() -> str:
    return str(get("RELEASE"))


def thresholds() -> Thresholds:
    return Thresholds(
        total_ms=float(get("TOTAL_MS")),
        component_ms={k: float(v) for k, v in get("COMPONENT_MS").items()},
        memory_increase_mb=float(get("MEMORY_INCREASE_MB")),
        success_rate=float(get("SUCCESS_RATE")),
    )
