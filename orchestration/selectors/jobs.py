"""Background jobs as clients see them: procrastinate's job row and our outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from procrastinate.contrib.django.models import ProcrastinateJob

from ..exceptions import NotFoundError
from ..models import JobOutcome

ORCHESTRATE_TASK = "orchestration.orchestrate_project"


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# procrastinate's statuses, in the words of the API.
_STATUSES = {
    "todo": JobStatus.QUEUED,
    "doing": JobStatus.RUNNING,
    "succeeded": JobStatus.SUCCEEDED,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.FAILED,
    "aborted": JobStatus.FAILED,
}


@dataclass(frozen=True)
class OrchestrationJob:
    job_id: int
    project_id: str
    status: JobStatus
    run_id: int | None
    result: Any
    error: str


def orchestration_job(job_id: int) -> OrchestrationJob:
    """One asynchronous orchestration, or NotFoundError. Two queries."""
    job = (
        ProcrastinateJob.objects.filter(pk=job_id, task_name=ORCHESTRATE_TASK)
        .values("status", "args")
        .first()
    )
    outcome = JobOutcome.objects.filter(pk=job_id, task_name=ORCHESTRATE_TASK).first()
    if job is None and outcome is None:
        raise NotFoundError(f"Orchestration job {job_id} does not exist.")
    if job is not None:
        status = _STATUSES[job["status"]]
        project_id = str(job["args"].get("project_id", ""))
    else:  # procrastinate's row was pruned; the outcome remains
        assert outcome is not None
        status = JobStatus.FAILED if outcome.error else JobStatus.SUCCEEDED
        project_id = outcome.project_id
    done = outcome is not None and status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
    return OrchestrationJob(
        job_id=job_id,
        project_id=project_id,
        status=status,
        run_id=outcome.run_id if done and outcome else None,
        result=outcome.body if done and outcome else None,
        error=outcome.error if done and outcome else "",
    )


def queued_job_id(queueing_lock: str) -> int | None:
    """The job waiting in the queue under ``queueing_lock``, if any."""
    job_id = (
        ProcrastinateJob.objects.filter(queueing_lock=queueing_lock, status="todo")
        .values_list("pk", flat=True)
        .first()
    )
    return None if job_id is None else int(job_id)
