"""Background jobs, run by ``manage.py procrastinate worker`` (docs/design.md §6,
"Background work").

procrastinate finds this module by name (``tasks``). Its periodic tasks replace the
CronJobs: each tick is deferred once however many workers run (procrastinate keys a
periodic job by its id and tick), and queueing locks keep one job of a kind in the queue.
Jobs are thin: they call a selector or a service.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from procrastinate import JobContext
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Status
from rest_framework.renderers import JSONRenderer

from . import selectors
from .engine.values import OrchestrationOptions
from .selectors.jobs import ORCHESTRATE_TASK
from .serializers.orchestrate import OrchestrateResponseSerializer
from .services import jobs as job_services
from .services.orchestrate import OrchestrationOutcome
from .services.schedules import run_scheduled_daily_scrum

logger = logging.getLogger(__name__)

SCHEDULES_QUEUE = "schedules"
ORCHESTRATION_QUEUE = "orchestration"


@app.periodic(cron=settings.SCHEDULE_TICK_CRON, periodic_id="daily-scrum-tick")
@app.task(
    name="orchestration.fire_due_schedules",
    queue=SCHEDULES_QUEUE,
    queueing_lock="fire-due-schedules",
)
def fire_due_schedules(timestamp: int) -> int:
    """Defer one daily-scrum job per due schedule; returns how many were deferred.

    The queueing lock names the sprint, so a sprint never has two daily scrums queued;
    the job checks due-ness again under the project lock.
    """
    deferred = 0
    for due in selectors.due_schedules(now=timezone.now()):
        try:
            run_daily_scrum_job.configure(
                queueing_lock=f"daily-scrum:{due.sprint_id}", lock=f"daily-scrum:{due.sprint_id}"
            ).defer(schedule_id=due.schedule_id)
        except AlreadyEnqueued:
            continue
        deferred += 1
    return deferred


@app.task(name="orchestration.run_daily_scrum", queue=SCHEDULES_QUEUE, retry=3)
def run_daily_scrum_job(schedule_id: int) -> str | None:
    """The daily scrum of one schedule's sprint; the report's id, or None when skipped."""
    fired = run_scheduled_daily_scrum(schedule_id=schedule_id)
    if fired.outcome is None or fired.outcome.report_id is None:
        return None
    return str(fired.outcome.report_id)


@app.periodic(cron=settings.SCHEDULE_TICK_CRON, periodic_id="retry-stalled-jobs")
@app.task(
    name="orchestration.retry_stalled_jobs",
    queue=SCHEDULES_QUEUE,
    queueing_lock="retry-stalled-jobs",
    pass_context=True,
)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Queue again the jobs of workers that stopped sending heartbeats (killed, lost).

    Their transaction died with their connection, so nothing of theirs was written. A
    stalled job whose queueing lock another queued job holds already (a later tick
    queued the same sprint's daily scrum) is marked failed instead: that job does its
    work, and the two never run side by side.
    """
    manager = context.app.job_manager
    stalled = list(
        await manager.get_stalled_jobs(seconds_since_heartbeat=settings.WORKER_STALLED_AFTER_S)
    )
    for job in stalled:
        assert job.id is not None
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            logger.warning("job %s (%s) stalled; its work is queued again", job.id, job.task_name)
            await manager.finish_job_by_id_async(job.id, status=Status.FAILED, delete_job=False)
            continue
        logger.warning("retrying job %s (%s) of a stalled worker", job.id, job.task_name)
    return len(stalled)


@app.task(name=ORCHESTRATE_TASK, queue=ORCHESTRATION_QUEUE, pass_context=True)
def orchestrate_project_job(
    context: JobContext,
    project_id: str,
    options: dict[str, Any],
    source: str,
    labels: dict[str, str],
) -> int | None:
    """One orchestration (asynchronous call or fleet pass); returns the run id. Its
    response body, or the error it failed with, is kept for ``GET /orchestrate/jobs/{id}``.
    """
    assert context.job is not None
    assert context.job.id is not None
    job_id = context.job.id
    try:
        outcome = job_services.run_orchestration_job(
            job_id=job_id,
            project_id=project_id,
            options=job_services.options_from_json(options),
            source=source,
            labels=labels,
            render=render_outcome,
        )
    except Exception as exc:
        job_services.record_job_failure(
            job_id=job_id, task_name=ORCHESTRATE_TASK, project_id=project_id, error=repr(exc)
        )
        raise
    return outcome.run_id


def render_outcome(outcome: OrchestrationOutcome) -> Any:
    """The body a synchronous call answers, as stored JSON."""
    return json.loads(JSONRenderer().render(OrchestrateResponseSerializer(outcome).data))


if settings.ORCHESTRATE_ALL_CRON:

    @app.periodic(cron=settings.ORCHESTRATE_ALL_CRON, periodic_id="orchestrate-all")
    @app.task(
        name="orchestration.orchestrate_all",
        queue=ORCHESTRATION_QUEUE,
        queueing_lock="orchestrate-all",
    )
    def orchestrate_all(timestamp: int) -> int:
        """A fleet-wide pass: one orchestration job per project (ORCHESTRATE_ALL_CRON)."""
        return job_services.defer_fleet_orchestration(options=OrchestrationOptions()).deferred
