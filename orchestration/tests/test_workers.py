"""Schedules fired by real workers (``manage.py procrastinate worker`` subprocesses) on
real PostgreSQL. Each test is bounded: every wait has a timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from conftest import make_project, start_sprint
from orchestration.models import DailyScrumReport, DailyScrumSchedule, Task
from orchestration.services.schedules import deactivate_project_schedule
from orchestration.services.sprints import create_schedule
from orchestrator_site.tests.live_servers import wait_for

from .workers import start_worker, workers

pytestmark = pytest.mark.django_db(transaction=True)

DAILY_SCRUM = "orchestration.run_daily_scrum"
TICK = "orchestration.fire_due_schedules"
WAIT_S = 40


@pytest.fixture(autouse=True)
def empty_queue() -> Iterator[None]:
    """procrastinate's tables are not Django-managed, so test flushes leave them alone."""
    truncate = (
        "TRUNCATE procrastinate_jobs, procrastinate_periodic_defers, procrastinate_workers, "
        "procrastinate_events CASCADE"
    )
    with connection.cursor() as cursor:
        cursor.execute(truncate)
    yield
    with connection.cursor() as cursor:
        cursor.execute(truncate)


def due_schedule() -> DailyScrumSchedule:
    """A sprint of 4 tasks whose weekday schedule has missed a fire time (made a week ago)."""
    with transaction.atomic():
        sprint = start_sprint(make_project(backlog=4), tasks=4)
        name = create_schedule(sprint, "0 14 * * 1-5")
    DailyScrumSchedule.objects.filter(name=name).update(
        created_at=timezone.now() - timedelta(days=7)
    )
    return DailyScrumSchedule.objects.get(name=name)


def jobs(task_name: str, status: str | None = None) -> int:
    found = ProcrastinateJob.objects.filter(task_name=task_name)
    return (found.filter(status=status) if status else found).count()


def test_a_due_schedule_fires_exactly_once_with_three_workers(tmp_path: Path):
    schedule = due_schedule()
    log = tmp_path / "workers.log"

    with workers(3, log):
        wait_for(
            lambda: DailyScrumSchedule.objects.get(pk=schedule.pk).last_run_at,
            timeout=WAIT_S,
            message=log.read_text,
        )
        ticks = jobs(TICK, "succeeded")
        # Three more ticks after the run: none of them fires it again.
        wait_for(lambda: jobs(TICK, "succeeded") >= ticks + 3, timeout=WAIT_S, message="ticks")

    assert DailyScrumReport.objects.filter(sprint_id=schedule.sprint_id).count() == 1
    assert jobs(DAILY_SCRUM, "failed") == 0
    assert not Task.objects.filter(sprint_id=schedule.sprint_id, progress_percentage=0).exists()


def test_a_deactivated_schedule_never_fires(tmp_path: Path):
    schedule = due_schedule()
    deactivate_project_schedule(project_id="TEST-001", name=schedule.name)
    log = tmp_path / "workers.log"

    with workers(2, log):
        wait_for(lambda: jobs(TICK, "succeeded") >= 3, timeout=WAIT_S, message=log.read_text)

    assert jobs(DAILY_SCRUM) == 0
    assert not DailyScrumReport.objects.exists()
    assert DailyScrumSchedule.objects.get(pk=schedule.pk).last_run_at is None


def test_a_worker_killed_mid_job_leaves_nothing_half_done_and_the_job_is_retried(
    tmp_path: Path,
):
    schedule = due_schedule()
    log = tmp_path / "workers.log"
    last_task = Task.objects.filter(sprint_id=schedule.sprint_id).order_by("-task_id").first()
    assert last_task is not None

    with transaction.atomic():
        # The job locks the project and then blocks updating the tasks: it is mid-write.
        Task.objects.select_for_update().get(pk=last_task.pk)
        worker = start_worker(log)
        try:
            wait_for(lambda: jobs(DAILY_SCRUM, "doing"), timeout=WAIT_S, message=log.read_text)
            time.sleep(1)
        finally:
            worker.kill()
            worker.wait()

    # The dead worker's transaction never commits, whatever its server process does next.
    time.sleep(1)
    assert not DailyScrumReport.objects.exists()
    assert not Task.objects.filter(progress_percentage__gt=0).exists()
    assert DailyScrumSchedule.objects.get(pk=schedule.pk).last_run_at is None

    with workers(1, log):
        wait_for(lambda: DailyScrumReport.objects.exists(), timeout=WAIT_S, message=log.read_text)
        wait_for(lambda: jobs(DAILY_SCRUM, "succeeded"), timeout=WAIT_S, message="job")

    assert DailyScrumReport.objects.count() == 1
    assert jobs(DAILY_SCRUM) == 1
    assert DailyScrumSchedule.objects.get(pk=schedule.pk).last_run_at is not None
