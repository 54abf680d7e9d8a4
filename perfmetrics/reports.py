"""The metrics report: window statistics, threshold checks and recommendations."""

from __future__ import annotations

from datetime import datetime

from . import analysis, conf, selectors
from .values import MetricsReport, Window


def metrics_report(window: Window, *, now: datetime | None = None) -> MetricsReport:
    """Statistics of the window (four queries) judged against the configured thresholds."""
    min_runs = int(conf.get("MIN_RUNS_FOR_TRENDS"))
    statistics = selectors.window_statistics(window, now=now, min_runs_for_trends=min_runs)
    checks = analysis.check_thresholds(statistics, conf.thresholds())
    recommendations = analysis.recommend(
        statistics,
        checks,
        regression_percent=float(conf.get("REGRESSION_PERCENT")),
        min_runs=min_runs,
        run_name=window.name,
    )
    return MetricsReport(
        project_id=window.project_id,
        statistics=statistics,
        checks=checks,
        recommendations=recommendations,
    )
