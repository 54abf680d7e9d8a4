"""Orchestration as background jobs: asynchronous calls and fleet-wide passes
(docs/design.md §6, "Background work"). The jobs themselves are in ``tasks.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from procrastinate.exceptions import AlreadyEnqueued

from .. import selectors, tasks
from ..engine.values import OrchestrationOptions
from ..exceptions import OrchestrationInProgressError
from ..models import JobOutcome, Project
from .orchestrate import OrchestrationOutcome, orchestrate_project

# Attempts to defer-or-join before giving up: a queued job can start between the two.
_COALESCE_ATTEMPTS = 5


def orchestration_lock(project_id: str) -> str:
    """The queueing lock of a project's orchestration jobs: one queued job per project."""
    return f"orchestrate:{project_id}"


def options_to_json(options: OrchestrationOptions) -> dict[str, Any]:
    """The options as a job argument (JSON); ``options_from_json`` reads them back."""
    return {**asdict(options), "project_defaults": sorted(options.project_defaults)}


def options_from_json(raw: Mapping[str, Any]) -> OrchestrationOptions:
    return OrchestrationOptions(
        **{**raw, "project_defaults": frozenset(raw.get("project_defaults", ()))}
    )


def defer_orchestration(
    *,
    project_id: str,
    options: OrchestrationOptions,
    source: str,
    labels: Mapping[str, str] | None = None,
) -> int:
    """Queue an orchestration of the project and return its job id; while one is queued
    already, return that one instead (coalescing). ProjectNotFoundError for an unknown
    project. In the caller's transaction, if any: the job exists once it commits."""
    selectors.get_project(project_id)
    lock = orchestration_lock(project_id)
    for _ in range(_COALESCE_ATTEMPTS):
        try:
            with transaction.atomic():
                job_id = tasks.orchestrate_project_job.configure(queueing_lock=lock).defer(
                    project_id=project_id,
                    options=options_to_json(options),
                    source=source,
                    labels=dict(labels or {}),
                )
                return int(job_id)
        except AlreadyEnqueued:
            queued = selectors.queued_job_id(lock)
            if queued is not None:
                return queued
    raise OrchestrationInProgressError(project_id)


@dataclass(frozen=True)
class FleetPass:
    deferred: int
    already_queued: int


def defer_fleet_orchestration(
    *,
    options: OrchestrationOptions,
    project_prefix: str = "",
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> FleetPass:
    """Queue one orchestration job (source ``scheduler``) per project, in id order;
    projects with one queued already keep it. ``dry_run`` only counts them."""
    project_ids = list(_project_ids(project_prefix))
    deferred = already = 0
    for done, project_id in enumerate(project_ids, start=1):
        if not dry_run:
            try:
                with transaction.atomic():
                    tasks.orchestrate_project_job.configure(
                        queueing_lock=orchestration_lock(project_id)
                    ).defer(
                        project_id=project_id,
                        options=options_to_json(options),
                        source="scheduler",
                        labels={},
                    )
                deferred += 1
            except AlreadyEnqueued:
                already += 1
        if progress is not None:
            progress(done, len(project_ids))
    if dry_run:
        deferred = len(project_ids)
    return FleetPass(deferred=deferred, already_queued=already)


def _project_ids(prefix: str) -> Iterator[str]:
    projects = Project.objects.order_by("pk")
    if prefix:
        projects = projects.filter(pk__startswith=prefix)
    return projects.values_list("pk", flat=True).iterator(chunk_size=5000)


def run_orchestration_job(
    *,
    job_id: int,
    project_id: str,
    options: OrchestrationOptions,
    source: str,
    labels: Mapping[str, str],
    render: Callable[[OrchestrationOutcome], Any],
) -> JobOutcome:
    """Orchestrate and store the outcome (run id and ``render``'s response body) in the
    same transaction, so a job retried after it committed does not act twice."""
    with transaction.atomic():
        done = JobOutcome.objects.filter(pk=job_id, error="").first()
        if done is not None:
            return done
        outcome = orchestrate_project(
            project_id=project_id, options=options, source=source, labels=labels
        )
        stored, _ = JobOutcome.objects.update_or_create(
            job_id=job_id,
            defaults={
                "task_name": selectors.ORCHESTRATE_TASK,
                "project_id": project_id,
                "run_id": outcome.run_id,
                "body": render(outcome),
                "error": "",
                "finished_at": timezone.now(),
            },
        )
    return stored


def record_job_failure(*, job_id: int, task_name: str, project_id: str, error: str) -> None:
    """Keep the error a job failed with, for its status and the admin (own transaction)."""
    JobOutcome.objects.update_or_create(
        job_id=job_id,
        defaults={
            "task_name": task_name,
            "project_id": project_id,
            "error": error,
            "finished_at": timezone.now(),
        },
    )
