"""What a test run does, validated on construction (bad values raise PerftestError)."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..serializers.run_tags import LABEL_MAX_LENGTH, LABEL_PATTERN
from .errors import PerftestError
from .values import Phase

# Runs are labelled "<label>:<phase>", which must fit the header's limit.
MAX_LABEL_LENGTH = LABEL_MAX_LENGTH - 1 - max(len(phase.value) for phase in Phase)
MAX_REQUESTS = 100_000
MAX_CONCURRENCY = 256
MAX_WORKERS = 64
MAX_DURATION_S = 24 * 3600.0
MAX_RATE_PER_S = 10_000.0
DEFAULT_REQUESTS = 20
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_RATE_UNITS = {"s": 1.0, "m": 1 / 60, "h": 1 / 3600}


@dataclass(frozen=True)
class PerftestConfig:
    """``requests`` per phase, or ``duration_s`` per phase (never both). ``rate_per_s``
    turns the concurrent phase into the open model; ``ramp_s`` precedes it with an
    unmeasured ramp-up (docs/design.md §5, "Load model")."""

    project_id: str
    label: str
    requests: int | None = DEFAULT_REQUESTS
    concurrency: int = 5
    warmup: int = 5
    dry_run: bool = True
    # None: the concurrency (see p95_factor_limit).
    max_p95_factor: float | None = None
    min_throughput_ratio: float = 1.0
    tolerance_percent: float = 20.0
    timeout_s: float = 30.0
    duration_s: float | None = None
    rate_per_s: float | None = None
    ramp_s: float = 0.0

    def __post_init__(self) -> None:
        if (self.requests is None) == (self.duration_s is None):
            raise PerftestError("give --requests or --duration, not both")
        if self.requests is not None:
            _at_least("--requests", self.requests, 1, MAX_REQUESTS)
        if self.duration_s is not None:
            _within("--duration", self.duration_s, MAX_DURATION_S)
        if self.rate_per_s is not None:
            _within("--rate", self.rate_per_s, MAX_RATE_PER_S, unit="/s")
        if self.ramp_s:
            _within("--ramp", self.ramp_s, MAX_DURATION_S)
        _at_least("--concurrency", self.concurrency, 1, MAX_CONCURRENCY)
        _at_least("--warmup", self.warmup, 0, MAX_REQUESTS)
        if self.max_p95_factor is not None:
            _positive("--max-p95-factor", self.max_p95_factor)
        _positive("--min-throughput-ratio", self.min_throughput_ratio)
        _positive("--timeout", self.timeout_s)
        if not math.isfinite(self.tolerance_percent) or self.tolerance_percent < 0:
            raise PerftestError(f"--tolerance must be 0 or more, got {self.tolerance_percent:g}")
        check_label(self.label)
        if not self.project_id:
            raise PerftestError("--project must not be empty")

    def comparable_options(self, *, target: str) -> dict[str, Any]:
        """The settings that shape the measurements (not the verdict's limits): two test
        runs compare only when these are equal. ``target`` names where the requests went."""
        return {
            "target": target,
            "project_id": self.project_id,
            "requests": self.requests,
            "duration_s": self.duration_s,
            "rate_per_s": self.rate_per_s,
            "ramp_s": self.ramp_s,
            "concurrency": self.concurrency,
            "warmup": self.warmup,
            "dry_run": self.dry_run,
        }

    @property
    def p95_factor_limit(self) -> float:
        """How much concurrent p95 may exceed the sequential p95. By default the
        concurrency: what serving the concurrent requests one after another would give, so
        the check fails when concurrency makes requests slower than queueing them would."""
        return self.max_p95_factor if self.max_p95_factor is not None else self.concurrency


@dataclass(frozen=True)
class ServerConfig:
    """The gunicorn server the command starts when no ``--url`` is given."""

    workers: int = 2
    threads: int = 4
    startup_timeout_s: float = 30.0

    @property
    def target(self) -> str:
        """How ``comparable_options`` names a started server (its port changes each time)."""
        return f"gunicorn started by perftest, {self.workers} workers x {self.threads} threads"

    def __post_init__(self) -> None:
        _at_least("--workers", self.workers, 1, MAX_WORKERS)
        _at_least("--threads", self.threads, 1, MAX_CONCURRENCY)
        _positive("--startup-timeout", self.startup_timeout_s)


def parse_duration(text: str) -> float:
    """``60s``, ``500ms``, ``2m``, ``1h`` or a bare number of seconds, as seconds;
    ValueError for anything else (argparse turns it into a usage error)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", text)
    if not match:
        raise ValueError(f"expected a duration like 60s, 500ms, 2m or 1h, got {text!r}")
    return float(match[1]) * _UNIT_SECONDS[match[2] or "s"]


def parse_rate(text: str) -> float:
    """``50/s``, ``300/m``, ``1000/h`` or a bare number per second, as requests per
    second; ValueError for anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|m|h))?\s*", text)
    if not match:
        raise ValueError(f"expected a rate like 50/s, 300/m or 1000/h, got {text!r}")
    return float(match[1]) * _RATE_UNITS[match[2] or "s"]


def check_label(label: str) -> str:
    if not re.fullmatch(LABEL_PATTERN, label) or len(label) > MAX_LABEL_LENGTH:
        raise PerftestError(
            f"--label must be 1 to {MAX_LABEL_LENGTH} characters of letters, digits and "
            f"_ . : -, got {label!r}"
        )
    return label


def new_label(now: datetime, suffix: str | None = None) -> str:
    """A label naming a test run: ``pt-<UTC time>-<random hex>``."""
    return f"pt-{now:%Y%m%dT%H%M%S}-{suffix or secrets.token_hex(3)}"


def _at_least(option: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise PerftestError(f"{option} must be between {low} and {high}, got {value}")


def _positive(option: str, value: float) -> None:
    if not math.isfinite(value) or value <= 0:
        raise PerftestError(f"{option} must be a number above 0, got {value:g}")


def _within(option: str, value: float, high: float, *, unit: str = "s") -> None:
    if not math.isfinite(value) or not 0 < value <= high:
        raise PerftestError(
            f"{option} must be above 0 and at most {high:g}{unit}, got {value:g}{unit}"
        )
