"""Plain values passed between the perftest modules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from perfmetrics.values import DurationStats


class Phase(StrEnum):
    """The test plan's steps; each orchestration run is labelled ``<test run>:<phase>``."""

    PREFLIGHT = "preflight"
    WARMUP = "warmup"
    RAMP = "ramp"
    BASELINE = "baseline"
    PATTERN = "pattern_recognition"
    METRICS = "metrics_endpoint"
    CONCURRENT = "concurrent"


# Phases that are measured and reported (preflight, warm-up and ramp-up are not).
MEASURED_PHASES = (Phase.BASELINE, Phase.PATTERN, Phase.METRICS, Phase.CONCURRENT)
# Measured phases whose requests are orchestrations, hence recorded runs on the server.
ORCHESTRATION_PHASES = (Phase.BASELINE, Phase.PATTERN, Phase.CONCURRENT)
# Name of the server-side statistics over every measured orchestration phase together.
ALL_PHASES = "all"
TOTAL = "total_orchestration"


@dataclass(frozen=True)
class Sample:
    """One request: its HTTP status (0 when no response came) and client-side latency.

    ``offset_s`` is when it was sent (open model: when it was due), in seconds after the
    phase started; ``wait_ms`` how long it waited for a free connection after it was due
    (open model only), which ``latency_ms`` includes.
    """

    status: int
    latency_ms: float
    error: str = ""
    offset_s: float = 0.0
    wait_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and not self.error


@dataclass(frozen=True)
class PhaseResult:
    phase: Phase
    concurrency: int
    wall_s: float
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class LatencySummary:
    """Over successful requests only; errors are counted apart."""

    count: int
    mean_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


@dataclass(frozen=True)
class HistogramBin:
    """Successful requests with ``lower_ms <= latency < upper_ms`` (log-scale bins)."""

    lower_ms: float
    upper_ms: float
    count: int


@dataclass(frozen=True)
class TimeBucket:
    """The requests sent in ``[start_s, start_s + width_s)`` of a phase (open model: due
    then): how many, how many failed, the successful ones' p50/p95 and their rate."""

    start_s: float
    width_s: float
    requests: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    throughput_rps: float


@dataclass(frozen=True)
class PhaseSummary:
    phase: str
    concurrency: int
    requests: int
    errors: int
    success_rate: float | None
    latency: LatencySummary
    # Successful requests per second of the phase's wall time.
    throughput_rps: float | None
    wall_s: float
    statuses: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    histogram: tuple[HistogramBin, ...] = ()
    timeline: tuple[TimeBucket, ...] = ()
    # Open model: the longest a request waited for a free connection after it was due.
    max_wait_ms: float | None = None


@dataclass(frozen=True)
class ServerStats:
    """perfmetrics' statistics of the recorded runs of one phase (or of all of them).

    ``total`` is the runs' own duration, reported as ``total_orchestration``;
    ``components`` holds each component's, by name.
    """

    phase: str
    total: DurationStats
    components: Mapping[str, DurationStats]
    memory_increase_p95_mb: float | None

    @property
    def runs(self) -> int:
        return self.total.count

    @property
    def successful_runs(self) -> int:
        return self.total.successful

    def component(self, name: str) -> DurationStats | None:
        return self.total if name == TOTAL else self.components.get(name)

    def by_name(self) -> dict[str, DurationStats]:
        """``total_orchestration`` first, then the components by name."""
        return {TOTAL: self.total, **dict(sorted(self.components.items()))}


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    actual: float | None
    target: float | None
    detail: str


@dataclass(frozen=True)
class PhaseMetrics:
    """What a baseline comparison looks at, per phase."""

    p50_ms: float | None
    p95_ms: float | None
    throughput_rps: float | None


@dataclass(frozen=True)
class MetricChange:
    phase: str
    metric: str
    baseline: float | None
    current: float | None
    change_percent: float | None
    regressed: bool


@dataclass(frozen=True)
class Report:
    label: str
    project_id: str
    target_url: str
    started_server: bool
    dry_run: bool
    # Per phase: ``requests`` requests, or for ``duration_s`` seconds.
    requests: int | None
    concurrency: int
    warmup: int
    started_at: datetime
    finished_at: datetime
    phases: tuple[PhaseSummary, ...]
    server: tuple[ServerStats, ...]
    checks: tuple[Check, ...]
    compared_with: str | None = None
    comparison: tuple[MetricChange, ...] = ()
    duration_s: float | None = None
    # The open model's arrival rate in the concurrent phase (None: closed model).
    rate_per_s: float | None = None
    ramp_s: float = 0.0
    # PerftestConfig.comparable_options: runs with equal options compare.
    options: Mapping[str, Any] = field(default_factory=dict)
    release: str = ""

    @property
    def comparison_passed(self) -> bool | None:
        """None without a baseline; else whether no compared metric regressed."""
        if self.compared_with is None:
            return None
        return not any(change.regressed for change in self.comparison)

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.passed)

    @property
    def passed(self) -> bool:
        return not self.failed_checks
