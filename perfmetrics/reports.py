"""The reports: a window's statistics judged against the thresholds, and regressions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.utils import timezone

from . import analysis, conf, selectors
from .values import Comparison, MetricsReport, RegressionReport, Window


def metrics_report(window: Window, *, now: datetime | None = None) -> MetricsReport:
    """Statistics of the window (three queries), its regression test against the window
    before it (two), judged against the configured thresholds."""
    now = now or timezone.now()
    settings = _RegressionSettings.read()
    statistics = selectors.window_statistics(window, now=now, min_runs_for_trends=settings.min_runs)
    checks = analysis.check_thresholds(statistics, conf.thresholds())
    has_previous = window.last_runs is not None or window.minutes is not None
    regressions = _window_comparison(window, now=now, settings=settings) if has_previous else None
    recommendations = analysis.recommend(
        statistics, checks, regressions=regressions, run_name=window.name
    )
    return MetricsReport(
        project_id=window.project_id,
        statistics=statistics,
        checks=checks,
        recommendations=recommendations,
    )


def regression_report(
    *,
    name: str | None,
    project_id: str | None = None,
    minutes: int | None = None,
    now: datetime | None = None,
) -> RegressionReport:
    """Per component: the latest release against the one before it, and the last
    ``minutes`` against the ``minutes`` before (docs/design.md §5, "Regressions").

    At most six queries: two for the two releases, then each side's samples (the newest
    ``REGRESSION_SAMPLE_RUNS`` successful runs of each).
    """
    from .analysis import regression_sentence

    now = now or timezone.now()
    settings = _RegressionSettings.read()
    comparisons = []
    releases = selectors.latest_releases(name=name, project_id=project_id)
    if releases is not None:
        candidate, baseline = releases
        by_release = Window(minutes=None, name=name, project_id=project_id)
        comparisons.append(
            settings.compare(
                kind="release",
                baseline=baseline,
                candidate=candidate,
                baseline_samples=settings.samples(
                    replace(by_release, release=baseline), now=now, previous=False
                ),
                candidate_samples=settings.samples(
                    replace(by_release, release=candidate), now=now, previous=False
                ),
            )
        )
    window = Window(minutes=minutes or int(conf.get("WINDOW_MINUTES")), name=name)
    comparisons.append(
        _window_comparison(replace(window, project_id=project_id), now=now, settings=settings)
    )
    sentences = tuple(
        regression_sentence(comparison, sample)
        for comparison in comparisons
        for sample in comparison.components
        if sample.regression
    )
    return RegressionReport(
        run_name=name,
        project_id=project_id,
        threshold_percent=settings.threshold_percent,
        alpha=settings.alpha,
        comparisons=tuple(comparisons),
        recommendations=sentences or ("No regression detected.",),
    )


def _window_comparison(
    window: Window, *, now: datetime, settings: _RegressionSettings
) -> Comparison:
    if window.last_runs is not None:
        baseline = f"the {window.last_runs} runs before"
        candidate = f"the newest {window.last_runs} runs"
    else:
        span = timedelta(minutes=window.minutes or 0)
        baseline, candidate = _span(now - 2 * span, now - span), _span(now - span, now)
    return settings.compare(
        kind="window",
        baseline=baseline,
        candidate=candidate,
        baseline_samples=settings.samples(window, now=now, previous=True),
        candidate_samples=settings.samples(window, now=now, previous=False),
    )


@dataclass(frozen=True)
class _RegressionSettings:
    threshold_percent: float
    alpha: float
    min_runs: int
    sample_runs: int

    @classmethod
    def read(cls) -> _RegressionSettings:
        return cls(
            threshold_percent=float(conf.get("REGRESSION_PERCENT")),
            alpha=float(conf.get("REGRESSION_ALPHA")),
            min_runs=int(conf.get("MIN_RUNS_FOR_TRENDS")),
            sample_runs=int(conf.get("REGRESSION_SAMPLE_RUNS")),
        )

    def samples(self, window: Window, *, now: datetime, previous: bool) -> dict[str, list[float]]:
        """Each component's samples by name, the run itself under its run name."""
        found = selectors.window_samples(window, now=now, limit=self.sample_runs, previous=previous)
        run_key = window.name or "run"
        return {run_key if key is None else key: values for key, values in found.items()}

    def compare(
        self,
        *,
        kind: str,
        baseline: str,
        candidate: str,
        baseline_samples: dict[str, list[float]],
        candidate_samples: dict[str, list[float]],
    ) -> Comparison:
        # scipy is imported when a comparison is first made, not by every worker at start.
        from . import regressions

        return regressions.compare(
            kind=kind,
            baseline=baseline,
            candidate=candidate,
            baseline_samples=baseline_samples,
            candidate_samples=candidate_samples,
            threshold_percent=self.threshold_percent,
            alpha=self.alpha,
            min_runs=self.min_runs,
        )


def _span(start: datetime, end: datetime) -> str:
    return f"{start.isoformat(timespec='seconds')}/{end.isoformat(timespec='seconds')}"
