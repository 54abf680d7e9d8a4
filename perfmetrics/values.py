"""The frozen values perfmetrics hands out: a measured run, window statistics, threshold
checks, a run's verdict and a metrics report.

Everything here is plain data: no queries, no settings. The modules that produce these
values (``measure``, ``selectors``, ``analysis``, ``reports``) and the one that renders
them (``presenters``) import them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .units import to_mb

# --- one measured run (perfmetrics.measure) -----------------------------------------------


@dataclass(frozen=True)
class ComponentResult:
    name: str
    parent: str
    depth: int
    offset_ms: float
    duration_ms: float
    cpu_ms: float
    success: bool
    error: str


@dataclass(frozen=True)
class ResourceUsage:
    rss_before_bytes: int
    rss_after_bytes: int
    cpu_user_ms: float
    cpu_system_ms: float
    db_queries: int
    db_time_ms: float

    @property
    def rss_delta_bytes(self) -> int:
        return self.rss_after_bytes - self.rss_before_bytes

    @property
    def memory_usage_mb(self) -> float:
        return to_mb(self.rss_after_bytes)

    @property
    def memory_increase_mb(self) -> float:
        return to_mb(self.rss_delta_bytes)

    @property
    def cpu_time_ms(self) -> float:
        return self.cpu_user_ms + self.cpu_system_ms


@dataclass(frozen=True)
class RunResult:
    name: str
    project_id: str
    source: str
    dry_run: bool
    labels: Mapping[str, str]
    started_at: datetime
    duration_ms: float
    success: bool
    error: str
    components: tuple[ComponentResult, ...]
    resources: ResourceUsage
    host: str
    pid: int
    overhead_ms: float
    # The release the process ran (``PERFMETRICS["RELEASE"]``) and, for a failed run,
    # the last frames of its traceback (bounded, ``PERFMETRICS["TRACEBACK_BYTES"]``).
    release: str = "unknown"
    traceback: str = ""

    @property
    def finished_at(self) -> datetime:
        return self.started_at + timedelta(milliseconds=self.duration_ms)

    def component(self, name: str) -> ComponentResult | None:
        return next((c for c in self.components if c.name == name), None)


# --- thresholds and verdicts (perfmetrics.conf, perfmetrics.analysis) ----------------------


@dataclass(frozen=True)
class Thresholds:
    """The configured targets (``PERFMETRICS``); see docs/design.md §5."""

    total_ms: float
    component_ms: Mapping[str, float]
    memory_increase_mb: float
    success_rate: float


@dataclass(frozen=True)
class ThresholdCheck:
    name: str
    description: str
    target: float
    actual: float | None
    met: bool


@dataclass(frozen=True)
class RunVerdict:
    """Whether one run met each per-run threshold (``analysis.judge_run``).

    ``components`` has an entry for every component with a threshold that ran; a
    component that did not run breaches nothing.
    """

    thresholds: Thresholds
    total_met: bool
    memory_increase_met: bool
    components: Mapping[str, bool] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return self.total_met and self.memory_increase_met and all(self.components.values())

    @property
    def breached(self) -> bool:
        return not self.met

    def component_met(self, name: str) -> bool:
        return self.components.get(name, True)


# --- window statistics (perfmetrics.selectors) --------------------------------------------


@dataclass(frozen=True)
class Window:
    """Runs started in the last ``minutes`` or the newest ``last_runs`` (at most one of
    the two; with neither, every run started since ``since``), narrowed by the others.

    ``labels`` maps a label key to the values it may have: ``{"label": ("a", "b")}``
    keeps the runs labelled ``a`` or ``b``. ``since`` is a lower bound on the start.
    """

    minutes: int | None = 60
    last_runs: int | None = None
    project_id: str | None = None
    name: str | None = None
    source: str | None = None
    labels: Mapping[str, tuple[str, ...]] | None = None
    since: datetime | None = None
    release: str | None = None


@dataclass(frozen=True)
class DurationStats:
    """Counts over all calls; latency over successful calls, failures' latency apart."""

    count: int
    total_ms: float
    successful: int
    success_rate: float | None
    avg_ms: float | None
    min_ms: float | None
    max_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    failed_avg_ms: float | None
    failed_max_ms: float | None

    @property
    def failed(self) -> int:
        return self.count - self.successful


@dataclass(frozen=True)
class Spread:
    avg: float | None
    p95: float | None
    max: float | None


@dataclass(frozen=True)
class ResourceStats:
    memory_increase_mb: Spread
    memory_usage_mb: Spread
    cpu_time_ms: Spread
    db_queries: Spread
    db_time_ms: Spread
    overhead_ms: Spread


@dataclass(frozen=True)
class MemoryTrend:
    """RSS of one worker process across the window's runs (RSS is process-wide)."""

    host: str
    pid: int
    runs: int
    growth_mb: float
    correlation: float | None


@dataclass(frozen=True)
class WindowStatistics:
    window: Window
    since: datetime | None
    until: datetime
    total: DurationStats
    components: dict[str, DurationStats]
    resources: ResourceStats
    memory_trends: tuple[MemoryTrend, ...]


@dataclass(frozen=True)
class BucketPercentiles:
    """p50/p95 of one series' successful durations in the bucket starting at ``start``.

    ``is_run``: the series is a run name (the whole run), not a component.
    """

    name: str
    is_run: bool
    start: datetime
    count: int
    p50_ms: float
    p95_ms: float


# --- the metrics report (perfmetrics.reports) ---------------------------------------------


@dataclass(frozen=True)
class MetricsReport:
    project_id: str | None
    statistics: WindowStatistics
    checks: tuple[ThresholdCheck, ...]
    recommendations: tuple[str, ...]

    @property
    def threshold_met(self) -> bool:
        return all(check.met for check in self.checks)


# --- regressions (perfmetrics.regressions) -------------------------------------------------


@dataclass(frozen=True)
class SampleComparison:
    """One component's successful durations, baseline against candidate (docs/design.md §5,
    "Regressions"): medians, their ratio with its interval, and the rank test.

    ``regression``: the test is significant and the interval reaches the threshold.
    """

    component: str
    baseline_runs: int
    candidate_runs: int
    baseline_median_ms: float
    candidate_median_ms: float
    ratio: float
    ratio_low: float
    ratio_high: float
    confidence: float
    p_value: float
    significant: bool
    regression: bool


@dataclass(frozen=True)
class Comparison:
    """Two sets of runs compared per component: two releases, or two windows."""

    kind: str  # "release" or "window"
    baseline: str
    candidate: str
    components: tuple[SampleComparison, ...]


@dataclass(frozen=True)
class RegressionReport:
    run_name: str | None
    project_id: str | None
    threshold_percent: float
    alpha: float
    comparisons: tuple[Comparison, ...]
    recommendations: tuple[str, ...]
