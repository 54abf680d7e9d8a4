"""Orchestrations through gunicorn that die or get stuck mid-transaction leave nothing behind.

The fault lands at a known statement without any hook in the service: the test holds a
row lock on the oldest backlog task, so the worker's transaction stops where it locks
the tasks to assign, after it has locked the project, inserted the sprint and updated
the project (``pg_locks`` shows that state). Then the worker is killed (§3.5), or the
statement outlives ``DB_STATEMENT_TIMEOUT_MS``.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from conftest import make_project
from orchestration.models import (
    DailyScrumSchedule,
    DecisionAudit,
    Project,
    ProjectStatus,
    Sprint,
    Task,
    TaskStatus,
)
from orchestrator_site.tests.live_servers import (
    WORKER_APPLICATION_NAME,
    Answer,
    Gunicorn,
    call,
    database_url,
    running_gunicorn,
    wait_for,
)
from perfmetrics.models import Run

PROJECT = "CRASH-001"


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[Gunicorn]:
    with running_gunicorn(env={"DATABASE_URL": database_url()}, log_dir=tmp_path) as gunicorn:
        yield gunicorn


@pytest.fixture
def token(transactional_db: None) -> str:
    user = get_user_model().objects.create_user("crash-client")
    return str(Token.objects.create(user=user).key)


def orchestrate(server: Gunicorn, token: str, label: str) -> Answer:
    return call(
        f"{server.url}/orchestrate/project/{PROJECT}",
        "POST",
        body={"action": "analyze_and_orchestrate"},
        headers={"Authorization": f"Token {token}", "X-Perf-Label": label},
    )


def blocked_worker_backend(db: psycopg.Connection[tuple[object, ...]]) -> tuple[int, str] | None:
    """The backend (pid, application_name) of a worker waiting for a row lock."""
    row = db.execute(
        "SELECT pid, application_name FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND application_name LIKE %s",
        [f"{WORKER_APPLICATION_NAME}%"],
    ).fetchone()
    return (int(str(row[0])), str(row[1])) if row else None


def table_locks(db: psycopg.Connection[tuple[object, ...]], backend: int) -> set[tuple[str, str]]:
    rows = db.execute(
        "SELECT relation::regclass::text, mode FROM pg_locks "
        "WHERE pid = %s AND locktype = 'relation'",
        [backend],
    ).fetchall()
    return {(str(relation), str(mode)) for relation, mode in rows}


def sessions_of(db: psycopg.Connection[tuple[object, ...]], application_name: str) -> list[str]:
    rows = db.execute(
        "SELECT state FROM pg_stat_activity WHERE application_name = %s", [application_name]
    ).fetchall()
    return [str(state) for (state,) in rows]


def test_a_worker_killed_mid_orchestration_leaves_no_sprint_assignment_or_run(server, token):
    make_project(PROJECT, backlog=5)
    first_task = Task.objects.order_by("created_at", "task_id").first()
    outcome: list[Answer | OSError] = []

    def crashing_call() -> None:
        try:
            outcome.append(orchestrate(server, token, "crash-killed"))
        except OSError as error:  # the connection dies with the worker
            outcome.append(error)

    with psycopg.connect(database_url(), autocommit=True) as monitor:
        with psycopg.connect(database_url()) as holder:
            holder.execute(
                "SELECT 1 FROM orchestration_task WHERE task_id = %s FOR UPDATE", [first_task.pk]
            )
            client = threading.Thread(target=crashing_call)
            client.start()
            backend, application_name = wait_for(
                lambda: blocked_worker_backend(monitor),
                timeout=60,
                message="the orchestration never reached the task lock",
            )
            locks = table_locks(monitor, backend)
            worker = int(application_name.removeprefix(WORKER_APPLICATION_NAME))
            assert worker in server.worker_pids()
            os.kill(worker, signal.SIGKILL)
            wait_for(lambda: worker not in server.worker_pids(), timeout=30, message="not reaped")
            holder.rollback()
        client.join(timeout=60)
        # The orphaned backend gets the lock, fails to answer its dead client and ends.
        wait_for(
            lambda: not sessions_of(monitor, application_name),
            timeout=30,
            message="the killed worker's sessions should end",
        )
        idle_in_transaction = monitor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
        ).fetchone()

    # The transaction had locked the project, inserted the sprint and updated the project.
    assert ("orchestration_project", "RowShareLock") in locks
    assert ("orchestration_project", "RowExclusiveLock") in locks
    assert ("orchestration_sprint", "RowExclusiveLock") in locks
    assert len(outcome) == 1
    assert isinstance(outcome[0], OSError)
    assert idle_in_transaction == (0,)
    assert not Sprint.objects.exists()
    assert set(Task.objects.values_list("status", "sprint", "assigned_to")) == {
        (TaskStatus.UNASSIGNED, None, None)
    }
    project = Project.objects.get(pk=PROJECT)
    assert (project.sprint_count, project.status) == (0, ProjectStatus.INACTIVE)
    assert not DailyScrumSchedule.objects.exists()
    assert not DecisionAudit.objects.exists()
    assert not Run.objects.exists()

    after = orchestrate(server, token, "crash-after")

    assert after.status == 200, after.body
    assert after.json()["sprint_id"] == f"{PROJECT}-S01"
    assert Task.objects.filter(sprint_id=f"{PROJECT}-S01").count() == 5
    run = Run.objects.get()
    assert (run.labels, run.success, run.pid != worker) == ({"label": "crash-after"}, True, True)
    assert DecisionAudit.objects.get().run_id == run.pk


@pytest.fixture
def impatient_server(transactional_db: None, tmp_path: Path) -> Iterator[Gunicorn]:
    env = {"DATABASE_URL": database_url(), "DB_STATEMENT_TIMEOUT_MS": "1000"}
    with running_gunicorn(env=env, log_dir=tmp_path, workers=1) as gunicorn:
        yield gunicorn


def test_a_statement_stuck_on_a_lock_past_the_statement_timeout_answers_503_and_writes_nothing(
    impatient_server, token
):
    make_project(PROJECT, backlog=5)
    first_task = Task.objects.order_by("created_at", "task_id").first()

    with psycopg.connect(database_url()) as holder:
        holder.execute(
            "SELECT 1 FROM orchestration_task WHERE task_id = %s FOR UPDATE", [first_task.pk]
        )
        stuck = orchestrate(impatient_server, token, "stuck")
        holder.rollback()

    assert stuck.status == 503, stuck.body
    assert stuck.json()["code"] == "database_unavailable"
    assert not Sprint.objects.exists()
    assert not Task.objects.exclude(sprint=None).exists()
    assert not DecisionAudit.objects.exists()
    run = Run.objects.get()
    assert (run.labels, run.success) == ({"label": "stuck"}, False)
    assert "statement timeout" in run.error
    assert orchestrate(impatient_server, token, "unstuck").status == 200
