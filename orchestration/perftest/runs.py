"""Database access of the test run: token, project, recorded runs, baselines, the stored
history of test runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.authtoken.models import Token

from perfmetrics.models import Run, Source
from perfmetrics.selectors import component_statistics, run_statistics
from perfmetrics.values import Window

from ..models import PerftestBaseline, PerftestRun, Project
from ..serializers.run_tags import LABEL_KEY
from .errors import PerftestError
from .report import metrics_from_json
from .values import ALL_PHASES, ORCHESTRATION_PHASES, PhaseMetrics, Report, ServerStats

PERFTEST_USERNAME = "perftest"
# ``--compare latest-passing``: the newest passing stored run with the same options.
LATEST_PASSING = "latest-passing"
# How a stored run is named as the baseline of a later one.
RUN_PREFIX = "run "
# Runs are stamped with the server's clock: look this much further back than our start.
CLOCK_SLACK = timedelta(minutes=5)


def require_project(project_id: str) -> None:
    if not Project.objects.filter(pk=project_id).exists():
        raise PerftestError(f"unknown project {project_id!r}")


@contextmanager
def perftest_token() -> Iterator[str]:
    """A token of the dedicated ``perftest`` user (created if needed, no password); a
    token created here is deleted on the way out."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=PERFTEST_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not user.is_active:
        raise PerftestError(f"user {PERFTEST_USERNAME!r} is inactive; give --token")
    token, token_created = Token.objects.get_or_create(user=user)
    try:
        yield token.key
    finally:
        if token_created:
            Token.objects.filter(pk=token.pk).delete()


def labelled_runs(label: str, *, since: datetime) -> QuerySet[Run]:
    """Perftest runs labelled ``<label>:<phase>`` started after ``since`` (which keeps the
    scan to the recent end of the ``started_at`` index)."""
    return Run.objects.filter(
        source=Source.PERFTEST,
        started_at__gte=since,
        **{f"labels__{LABEL_KEY}__startswith": f"{label}:"},
    )


def require_unused_label(label: str, *, now: datetime) -> None:
    """A label already used within the statistics' look-back would mix two test runs, and
    a stored test run keeps its label for good."""
    if labelled_runs(label, since=now - 2 * CLOCK_SLACK).exists():
        raise PerftestError(f"label {label!r} was used by a recent test run; choose another")
    if PerftestRun.objects.filter(label=label).exists():
        raise PerftestError(f"label {label!r} names a stored test run; choose another")


def collect_server_stats(label: str, *, since: datetime) -> tuple[ServerStats, ...]:
    """perfmetrics' window statistics of the runs labelled ``<label>:<phase>`` per
    orchestration phase, then over all of them. Two queries per window."""
    phases = {phase.value: (f"{label}:{phase.value}",) for phase in ORCHESTRATION_PHASES}
    every = tuple(value for values in phases.values() for value in values)
    return tuple(
        server_stats(name, label_values, since=since)
        for name, label_values in [*phases.items(), (ALL_PHASES, every)]
    )


def server_stats(phase: str, label_values: tuple[str, ...], *, since: datetime) -> ServerStats:
    """The perftest runs started after ``since`` whose label is one of ``label_values``."""
    window = Window(
        minutes=None,
        source=Source.PERFTEST.value,
        labels={LABEL_KEY: label_values},
        since=since,
    )
    now = timezone.now()
    total, resources = run_statistics(window, now=now)
    return ServerStats(
        phase=phase,
        total=total,
        components=component_statistics(window, now=now),
        memory_increase_p95_mb=resources.memory_increase_mb.p95,
    )


def load_baseline(name: str) -> tuple[dict[str, PhaseMetrics], dict[str, Any]]:
    """A saved baseline's per-phase metrics and whole report."""
    try:
        baseline = PerftestBaseline.objects.get(name=name)
    except PerftestBaseline.DoesNotExist:
        known = ", ".join(PerftestBaseline.objects.values_list("name", flat=True)[:20]) or "none"
        raise PerftestError(f"unknown baseline {name!r} (saved: {known})") from None
    return _metrics(f"baseline {name!r}", baseline.report), baseline.report


def latest_passing_run(options: Mapping[str, Any]) -> PerftestRun | None:
    """The newest stored run that passed, of the same project with the same options."""
    return (
        PerftestRun.objects.filter(
            project_id=options["project_id"], options_key=options_key(options), passed=True
        )
        .order_by("-started_at")
        .first()
    )


def load_latest_passing(
    options: Mapping[str, Any],
) -> tuple[str, dict[str, PhaseMetrics], dict[str, Any]] | None:
    """``--compare latest-passing``: the name, metrics and report of that run, if any."""
    run = latest_passing_run(options)
    if run is None:
        return None
    name = f"{RUN_PREFIX}{run.label}"
    return name, _metrics(name, run.report), run.report


def _metrics(name: str, report: Any) -> dict[str, PhaseMetrics]:
    try:
        return metrics_from_json(report)
    except ValueError as exc:
        raise PerftestError(f"{name} is unusable: {exc}") from None


def options_key(options: Mapping[str, Any]) -> str:
    canonical = json.dumps(options, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_perftest_run(report: Report, data: Mapping[str, Any]) -> PerftestRun:
    """Store a finished test run (``data`` is its JSON report), whatever its verdict."""
    return PerftestRun.objects.create(
        label=report.label,
        project_id=report.project_id,
        release=report.release,
        started_at=report.started_at,
        finished_at=report.finished_at,
        options=dict(report.options),
        options_key=options_key(report.options),
        passed=report.passed,
        compared_with=report.compared_with or "",
        comparison_passed=report.comparison_passed,
        report=dict(data),
    )


def compared_report(run: PerftestRun) -> dict[str, Any] | None:
    """The report ``run`` was compared with, if it still exists: a stored run (named
    ``run <label>``) or a saved baseline."""
    if not run.compared_with:
        return None
    if run.compared_with.startswith(RUN_PREFIX):
        label = run.compared_with.removeprefix(RUN_PREFIX)
        earlier = PerftestRun.objects.filter(label=label).only("report").first()
        return earlier.report if earlier is not None else None
    saved = PerftestBaseline.objects.filter(name=run.compared_with).only("report").first()
    return saved.report if saved is not None else None


def same_options_history(run: PerftestRun, *, most: int = 30) -> list[PerftestRun]:
    """The newest ``most`` runs of ``run``'s project and options up to it, oldest first."""
    newest = PerftestRun.objects.filter(
        project_id=run.project_id, options_key=run.options_key, started_at__lte=run.started_at
    ).order_by("-started_at")[:most]
    return list(reversed(newest))


def latest_runs_by_project() -> list[PerftestRun]:
    """Each project's newest stored test run (one query, on the project index)."""
    return list(
        PerftestRun.objects.order_by("project_id", "-started_at")
        .distinct("project_id")
        .only("project_id", "passed", "comparison_passed", "started_at")
    )


def check_baseline_name(name: str, *, replace: bool) -> None:
    if not 1 <= len(name) <= 64:
        raise PerftestError(f"--save-baseline must be 1 to 64 characters, got {name!r}")
    if name == LATEST_PASSING:
        raise PerftestError(f"--save-baseline: {LATEST_PASSING!r} is reserved for --compare")
    if not replace and PerftestBaseline.objects.filter(name=name).exists():
        raise PerftestError(f"baseline {name!r} exists; pass --replace-baseline to overwrite it")


@transaction.atomic
def save_baseline(name: str, report: Mapping[str, Any]) -> None:
    """Store ``report`` under ``name``, replacing (and re-dating) an older one."""
    PerftestBaseline.objects.filter(name=name).delete()
    PerftestBaseline.objects.create(name=name, report=dict(report))
