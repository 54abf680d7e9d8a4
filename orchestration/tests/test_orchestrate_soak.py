"""Soak tests (``make soak``; excluded from ``make test``): orchestrations through gunicorn
under load, and while the database restarts. Each prints its figures.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from conftest import make_project
from orchestration.models import DailyScrumSchedule, DecisionAudit, Sprint, Task
from orchestrator_site.tests.live_servers import (
    WORKER_APPLICATION_NAME,
    Answer,
    Gunicorn,
    call,
    database_url,
    manage,
    running_gunicorn,
    temporary_postgres,
)
from perfmetrics.models import Component, Run
from perfmetrics.statistics import percentile

pytestmark = pytest.mark.soak

CALLERS = 200
WORKERS = 4
THREADS = 8
BACKLOG = 40
CLIENT_TIMEOUT_S = 300


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[Gunicorn]:
    # No lock timeout: every caller waits its turn, as this test checks the serialisation
    # (bench/background.py measures the 409s of the default timeout).
    env = {"DATABASE_URL": database_url(), "ORCHESTRATION_LOCK_TIMEOUT_MS": "0"}
    with running_gunicorn(env=env, log_dir=tmp_path, workers=WORKERS, threads=THREADS) as gunicorn:
        yield gunicorn


@pytest.fixture
def token(transactional_db: None) -> str:
    user = get_user_model().objects.create_user("soak-client")
    return str(Token.objects.create(user=user).key)


class ConnectionSampler(threading.Thread):
    """Peak number of worker connections to PostgreSQL while the load runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak = 0
        self.peak_waiting_for_lock = 0

    def run(self) -> None:
        with psycopg.connect(database_url(), autocommit=True) as db:
            while not self.stop.wait(0.05):
                row = db.execute(
                    "SELECT count(*), count(*) FILTER (WHERE wait_event_type = 'Lock') "
                    "FROM pg_stat_activity WHERE application_name LIKE %s",
                    [f"{WORKER_APPLICATION_NAME}%"],
                ).fetchone()
                assert row is not None
                self.peak = max(self.peak, int(row[0]))
                self.peak_waiting_for_lock = max(self.peak_waiting_for_lock, int(row[1]))


def fire_at_once(
    server: Gunicorn, token: str, project_id: str, label: str
) -> tuple[list[Answer | OSError | None], float]:
    """CALLERS client threads released together by a barrier; answers and wall time."""
    answers: list[Answer | OSError | None] = [None] * CALLERS
    released: list[float] = []
    barrier = threading.Barrier(CALLERS, action=lambda: released.append(time.perf_counter()))
    headers = {"Authorization": f"Token {token}", "X-Perf-Label": label}

    def caller(index: int) -> None:
        barrier.wait()
        try:
            answers[index] = call(
                f"{server.url}/orchestrate/project/{project_id}",
                "POST",
                body={"action": "analyze_and_orchestrate"},
                headers=headers,
                timeout=CLIENT_TIMEOUT_S,
            )
        except OSError as error:
            answers[index] = error

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, time.perf_counter() - released[0]


def test_200_concurrent_orchestrations_of_one_project_open_one_sprint_and_record_each_run(
    server, token, capsys
):
    make_project("LOAD-001", backlog=BACKLOG)
    label = f"load-{uuid.uuid4().hex[:12]}"
    sampler = ConnectionSampler()
    sampler.start()
    answers, wall = fire_at_once(server, token, "LOAD-001", label)
    sampler.stop.set()
    sampler.join()

    failures = [a for a in answers if not isinstance(a, Answer)]
    assert failures == []
    statuses = Counter(a.status for a in answers)
    assert statuses == {200: CALLERS}
    bodies = [a.json() for a in answers]
    opened = [b for b in bodies if b["decisions"]["create_new_sprint"]]
    assert len(opened) == 1
    sprint = Sprint.objects.get()
    assert opened[0]["sprint_id"] == sprint.sprint_id
    assigned = list(Task.objects.filter(sprint=sprint).values_list("task_id", flat=True))
    assert len(assigned) == len(set(assigned)) == 10
    assert Task.objects.exclude(sprint=None).count() == 10
    assert DailyScrumSchedule.objects.filter(is_active=True).count() == 1
    runs = Run.objects.filter(labels__label=label)
    # One persisted run per request that reached the view, each the one it answered with.
    assert sorted(runs.values_list("pk", flat=True)) == sorted(b["run_id"] for b in bodies)
    assert set(runs.values_list("success", flat=True)) == {True}
    assert DecisionAudit.objects.filter(run_id__in=runs.values("pk")).count() == CALLERS
    assert DecisionAudit.objects.exclude(sprint_opened=None).count() == 1
    assert len(set(runs.values_list("pid", flat=True))) == WORKERS
    assert sampler.peak <= WORKERS * THREADS

    latencies = [a.seconds * 1000 for a in answers]
    server_ms = list(runs.values_list("duration_ms", flat=True))
    # project_analysis starts by taking the project lock: the rest of a run holds it.
    analysis_ms = dict(
        Component.objects.filter(run__in=runs, name="project_analysis").values_list(
            "run_id", "duration_ms"
        )
    )
    holding_ms = [run.duration_ms - analysis_ms[run.pk] for run in runs]
    cpu_ms = [run.cpu_user_ms + run.cpu_system_ms for run in runs]
    with capsys.disabled():
        print(
            f"\n[soak] {CALLERS} concurrent orchestrations of one project, gunicorn "
            f"{WORKERS} workers x {THREADS} threads: {CALLERS / wall:.1f} req/s over "
            f"{wall:.2f} s; client latency p50 {percentile(latencies, 0.5):.0f} ms, "
            f"p95 {percentile(latencies, 0.95):.0f} ms, max {max(latencies):.0f} ms; "
            f"server total_orchestration p50 {percentile(server_ms, 0.5):.0f} ms, "
            f"p95 {percentile(server_ms, 0.95):.0f} ms (lock wait included), after the "
            f"lock p50 {percentile(holding_ms, 0.5):.0f} ms, run CPU p50 "
            f"{percentile(cpu_ms, 0.5):.0f} ms; peak "
            f"{sampler.peak} worker connections, {sampler.peak_waiting_for_lock} waiting "
            "for the project lock"
        )


RESTART_PROJECTS = ("RESTART-001", "RESTART-002", "RESTART-003", "RESTART-004")
RESTART_CLIENTS = 8
# Every backlog task is already done, so each orchestration closes the project's sprint
# and opens the next one with two tasks: every call is a full close-and-open transaction.
RESTART_SETUP = f"""
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from conftest import make_project
from orchestration.models import Task
for project_id in {RESTART_PROJECTS!r}:
    make_project(project_id, backlog=400)
Task.objects.update(progress_percentage=100)
user = get_user_model().objects.create_user("restart-client")
print(Token.objects.create(user=user).key)
"""
# Invariants of the domain tables, each query returning the rows that break one.
BROKEN = {
    "sprint count differs from the project's counter": """
        SELECT p.project_id FROM orchestration_project p
        LEFT JOIN orchestration_sprint s ON s.project_id = p.project_id
        GROUP BY p.project_id, p.sprint_count HAVING count(s.sprint_id) <> p.sprint_count""",
    "sprint without exactly one audit of a successful run": """
        SELECT s.sprint_id FROM orchestration_sprint s
        LEFT JOIN orchestration_decisionaudit a ON a.sprint_opened_id = s.sprint_id
        LEFT JOIN perfmetrics_run r ON r.id = a.run_id AND r.success
        GROUP BY s.sprint_id HAVING count(r.id) <> 1 OR count(a.id) <> 1""",
    "closed sprint without its retrospective or snapshots": """
        SELECT s.sprint_id FROM orchestration_sprint s
        LEFT JOIN orchestration_sprintretrospective r ON r.sprint_id = s.sprint_id
        WHERE s.status <> 'in_progress' AND (r.id IS NULL OR s.task_count <> (
            SELECT count(*) FROM orchestration_sprinttasksnapshot t
            WHERE t.sprint_id = s.sprint_id))""",
    "task in more than one sprint": """
        SELECT task_id FROM orchestration_sprinttasksnapshot
        GROUP BY task_id HAVING count(*) > 1""",
    "task whose status contradicts its sprint": """
        SELECT t.task_id FROM orchestration_task t
        JOIN orchestration_sprint s ON s.sprint_id = t.sprint_id
        WHERE (s.status = 'in_progress') <> (t.status = 'assigned_to_sprint')""",
    "audit of a run that was not recorded as a success": """
        SELECT a.id FROM orchestration_decisionaudit a
        LEFT JOIN perfmetrics_run r ON r.id = a.run_id
        WHERE r.id IS NULL OR NOT r.success""",
}


def orchestrate_until(
    server: Gunicorn, token: str, stop: threading.Event, client: int
) -> list[tuple[float, Answer | OSError]]:
    """Orchestrate the projects in turn until ``stop``; (finish time, answer) of each call."""
    answers: list[tuple[float, Answer | OSError]] = []
    headers = {"Authorization": f"Token {token}"}
    options = {"max_tasks_per_sprint": 2, "enable_pattern_recognition": client % 2 == 0}
    calls = 0
    while not stop.is_set():
        project_id = RESTART_PROJECTS[(client + calls) % len(RESTART_PROJECTS)]
        calls += 1
        try:
            answer: Answer | OSError = call(
                f"{server.url}/orchestrate/project/{project_id}",
                "POST",
                body={"action": "analyze_and_orchestrate", "options": options},
                headers=headers,
            )
        except OSError as error:
            answer = error
        answers.append((time.perf_counter(), answer))
    return answers


def test_orchestrations_while_the_database_restarts_lose_no_acknowledged_run(tmp_path, capsys):
    with temporary_postgres(database="restart") as postgres:
        url = postgres.url("restart")
        token = manage(url, "shell", "-v", "0", "-c", RESTART_SETUP).strip()
        env = {"DATABASE_URL": url, "DB_CONNECT_TIMEOUT": "3"}
        with running_gunicorn(env=env, log_dir=tmp_path) as server:
            workers = server.worker_pids()
            stop = threading.Event()
            results: list[list[tuple[float, Answer | OSError]]] = []
            clients = [
                threading.Thread(
                    target=lambda i=i: results.append(orchestrate_until(server, token, stop, i))
                )
                for i in range(RESTART_CLIENTS)
            ]
            for client in clients:
                client.start()
            time.sleep(4)
            postgres.stop()
            stopped_at = time.perf_counter()
            time.sleep(3)
            postgres.start()
            started_at = time.perf_counter()
            time.sleep(6)
            stop.set()
            for client in clients:
                client.join()
            workers_after = server.worker_pids()
        with psycopg.connect(url) as db:
            broken = {name: db.execute(sql).fetchall() for name, sql in BROKEN.items()}
            runs = db.execute("SELECT id, success FROM perfmetrics_run").fetchall()
            recorded: dict[object, object] = dict(runs)
            (sprints,) = db.execute("SELECT count(*) FROM orchestration_sprint").fetchall()[0]

    answers = [answer for per_client in results for _, answer in per_client]
    assert [a for a in answers if not isinstance(a, Answer)] == []
    statuses = Counter(a.status for a in answers)
    assert set(statuses) == {200, 503}
    assert {a.json()["code"] for a in answers if a.status == 503} == {"database_unavailable"}
    # Every client's calls succeed again once the database is back.
    assert {per_client[-1][1].status for per_client in results} == {200}
    assert workers_after == workers
    acknowledged = [a.json()["run_id"] for a in answers if a.status == 200]
    assert all(recorded.get(run_id) is True for run_id in acknowledged)
    assert broken == {name: [] for name in BROKEN}

    recovered = min(
        t for per_client in results for t, a in per_client if t > started_at and a.status == 200
    )
    unavailable = [a.seconds * 1000 for a in answers if a.status == 503]
    successful = sum(1 for ok in recorded.values() if ok)
    with capsys.disabled():
        print(
            f"\n[soak] {RESTART_CLIENTS} clients orchestrating {len(RESTART_PROJECTS)} projects "
            f"while PostgreSQL stops for {started_at - stopped_at:.1f} s: {len(answers)} calls, "
            f"{statuses[200]} answered 200, {statuses[503]} answered 503 (p95 "
            f"{percentile(unavailable, 0.95):.0f} ms, max {max(unavailable):.0f} ms); first "
            f"200 {(recovered - started_at) * 1000:.0f} ms after the restart; {sprints} "
            f"sprints opened; {successful} successful runs recorded for {len(acknowledged)} "
            "acknowledged"
        )
