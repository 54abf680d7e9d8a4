"""What a test run does, validated on construction (bad values raise PerftestError)."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from ..serializers.run_tags import LABEL_MAX_LENGTH, LABEL_PATTERN
from .errors import PerftestError
from .values import Phase

# Runs are labelled "<label>:<phase>", which must fit the header's limit.
MAX_LABEL_LENGTH = LABEL_MAX_LENGTH - 1 - max(len(phase.value) for phase in Phase)
MAX_REQUESTS = 100_000
MAX_CONCURRENCY = 256
MAX_WORKERS = 64


@dataclass(frozen=True)
class PerftestConfig:
    project_id: str
    label: str
    requests: int = 20
    concurrency: int = 5
    warmup: int = 5
    dry_run: bool = True
    # None: the concurrency (see p95_factor_limit).
    max_p95_factor: float | None = None
    min_throughput_ratio: float = 1.0
    tolerance_percent: float = 20.0
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        _at_least("--requests", self.requests, 1, MAX_REQUESTS)
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

    def __post_init__(self) -> None:
        _at_least("--workers", self.workers, 1, MAX_WORKERS)
        _at_least("--threads", self.threads, 1, MAX_CONCURRENCY)
        _positive("--startup-timeout", self.startup_timeout_s)


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
