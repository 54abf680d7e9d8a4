"""Schedules fired by real workers (``manage.py procrastinate worker`` subprocesses) on
real PostgreSQL. Each test is bounded: every wait has a timeout."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from conftest import make_project, start_sprint
from orchestration.models import DailyScrumReport, DailyScrumSchedule, Sprint, Task
from orchestration.services.schedules import deactivate_project_schedule
from orchestration.services.sprints import create_schedule
from orchestrator_site.tests.live_servers import wait_for
from perfmetrics.models import Run

from .workers import start_worker, workers

pytestmark = pytest.mark.django_db(transaction=True)

DAILY_SCRUM = "orchestration.run_daily_scrum"
TICK = "orchestration.fire_due_schedules"
WAIT_S = 40
URL = "/orchestrate/project/TEST-001"
BODY = {"action": "analyze_and_orchestrate"}


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
    return int((found.filter(status=status) if status else found).count())


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
    assert DailyScrumSchedule.objects.get(pk=schedule.pk).last_run_at is not None
    # The killed job was retried, or marked failed when a later tick had queued the
    # sprint's daily scrum again; either way it is not left running, and one job did it.
    assert jobs(DAILY_SCRUM, "doing") == 0
    assert jobs(DAILY_SCRUM, "succeeded") >= 1


def concurrently(
    count: int, call: Callable[[APIClient], Any], credentials: dict[str, str]
) -> list[Any]:
    """``call`` from ``count`` threads at once, each with its own client and connection."""
    barrier = threading.Barrier(count)

    def one(_: int) -> Any:
        client = APIClient()
        client.credentials(**credentials)
        barrier.wait()
        try:
            return call(client)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_twenty_concurrent_async_requests_share_one_job_that_a_worker_runs(
    api_client, tmp_path: Path
):
    make_project(backlog=5)

    answers = concurrently(
        20,
        lambda c: c.post(URL, BODY, format="json", HTTP_PREFER="respond-async"),
        api_client._credentials,
    )

    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["job_id"] for a in answers}) == 1
    location = answers[0].headers["Location"]
    log = tmp_path / "workers.log"
    with workers(2, log):
        job = wait_for(
            lambda: (body := api_client.get(location).json())["status"] == "succeeded" and body,
            timeout=WAIT_S,
            message=log.read_text,
        )
    run = Run.objects.get()
    assert job["run_id"] == run.pk
    assert job["result"]["run_id"] == run.pk
    assert job["result"]["sprint_id"] == "TEST-001-S01"
    assert set(job["result"]) == set(api_client.post(URL, BODY, format="json").json())
    assert Sprint.objects.count() == 1


def test_twenty_concurrent_requests_with_one_idempotency_key_act_once(api_client):
    make_project(backlog=5)

    answers = concurrently(
        20,
        lambda c: c.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="same-key"),
        api_client._credentials,
    )

    assert {a.status_code for a in answers} == {200}
    assert all(a.json() == answers[0].json() for a in answers)
    assert Run.objects.count() == 1
    assert Sprint.objects.count() == 1


def test_orchestrate_all_queues_one_job_per_project_that_workers_run(tmp_path: Path):
    for i in range(6):
        make_project(f"FLEET-{i}", backlog=3)
    make_project("OTHER", backlog=3)
    stderr = io.StringIO()

    call_command(
        "orchestrate_all", "--project-prefix", "FLEET-", stdout=io.StringIO(), stderr=stderr
    )

    assert jobs("orchestration.orchestrate_project") == 6
    assert "6/6" in stderr.getvalue()
    log = tmp_path / "workers.log"
    with workers(2, log):
        wait_for(
            lambda: jobs("orchestration.orchestrate_project", "succeeded") == 6,
            timeout=WAIT_S,
            message=log.read_text,
        )
    assert Run.objects.filter(source="scheduler").count() == 6
    assert Sprint.objects.filter(project__pk__startswith="FLEET-").count() == 6
    assert not Sprint.objects.filter(project_id="OTHER").exists()
