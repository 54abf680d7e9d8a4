"""Background work and calls that never pile up (docs/design.md §6, "Background work").

    make bench-background                # or: python -m bench.background [--projects 10000]

1. Fleet pass: ``orchestrate_all`` queues one orchestration job per project of a fleet of
   ``--projects`` (each with 3 members and 5 backlog tasks); then 1, and then 2, worker
   processes (``manage.py procrastinate worker --concurrency 1``) run them, each pass on a
   fresh copy of the same database. Jobs/s is the number of jobs over the time from the
   first job's start to the last one's end (procrastinate's job events), so worker start-up
   is left out; the ratio is 2 workers over 1.
2. One project under load: ``--callers`` (200) concurrent synchronous calls through
   gunicorn (4 workers x 8 threads, as ``make soak``), with ORCHESTRATION_LOCK_TIMEOUT_MS
   at its default (5000) and at 0 (no limit, the behaviour before it existed): the share
   of 409 answers, client latency p50/p95/max, and whether a 409 wrote anything.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
from psycopg import sql

from orchestration.perftest.server import running_gunicorn
from orchestrator_site.tests.live_servers import Answer, call

from .common import (
    ROOT,
    api_token,
    database_url,
    percentile,
    prepare_database,
    require_database_url,
)

FLEET_TEMPLATE = "orchestrator_bench_fleet_jobs"
LOCK_DATABASE = "orchestrator_bench_lock"
WORKER_COUNTS = (1, 2)
# The default, a short one that the queue behind the lock outlasts, and none at all.
LOCK_TIMEOUTS_MS = ("5000", "1000", "0")
PASS_TIMEOUT_S = 3600

BUILD_FLEET = """
from orchestration.models import Employee, Project, ProjectMembership, Task
N = {projects}
ids = [f"{prefix}-{{i:05d}}" for i in range(N)]
Project.objects.bulk_create([Project(project_id=p, name=p) for p in ids], batch_size=5000)
Employee.objects.bulk_create(
    [Employee(employee_id=f"{{p}}-E{{m}}", name=f"Member {{m}}") for p in ids for m in range(3)],
    batch_size=5000,
)
ProjectMembership.objects.bulk_create(
    [ProjectMembership(project_id=p, employee_id=f"{{p}}-E{{m}}") for p in ids for m in range(3)],
    batch_size=5000,
)
Task.objects.bulk_create(
    [Task(task_id=f"{{p}}-T{{t}}", project_id=p, title="Task")
     for p in ids for t in range({tasks})],
    batch_size=5000,
)
"""


def run_manage(url: str, *arguments: str, code: str | None = None) -> None:
    environment = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    environment.setdefault("SECRET_KEY", "bench-only-secret")
    extra = ["-c", code] if code is not None else []
    subprocess.run(
        [sys.executable, "manage.py", *arguments, *extra], cwd=ROOT, env=environment, check=True
    )


def fresh_copy(base_url: str, template: str, name: str) -> str:
    with psycopg.connect(database_url(base_url, "postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    return database_url(base_url, name)


def fleet_pass(base_url: str, *, workers: int, projects: int) -> tuple[float, float, int]:
    """(seconds to queue, seconds to run, failed jobs) of one pass with ``workers``."""
    url = fresh_copy(base_url, FLEET_TEMPLATE, f"{FLEET_TEMPLATE}_{workers}w")
    started = time.perf_counter()
    run_manage(url, "orchestrate_all", "-v", "0")
    queued_s = time.perf_counter() - started
    environment = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    environment.setdefault("SECRET_KEY", "bench-only-secret")
    log = Path(tempfile.gettempdir()) / f"bench-background-{workers}w.log"
    with log.open("wb") as out:
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "procrastinate",
                    "worker",
                    "--concurrency",
                    "1",
                    "--queues",
                    "orchestration",
                ],
                cwd=ROOT,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            for _ in range(workers)
        ]
        try:
            with psycopg.connect(url, autocommit=True) as db:
                deadline = time.monotonic() + PASS_TIMEOUT_S
                while time.monotonic() < deadline:
                    row = db.execute(
                        "SELECT count(*) FILTER (WHERE status IN ('todo', 'doing')), "
                        "count(*) FILTER (WHERE status = 'failed') FROM procrastinate_jobs "
                        "WHERE task_name = 'orchestration.orchestrate_project'"
                    ).fetchone()
                    assert row is not None
                    if row[0] == 0:
                        break
                    time.sleep(1)
                else:
                    raise SystemExit(f"pass with {workers} worker(s) timed out; see {log}")
                # The time jobs ran: the first start to the last end, from procrastinate.
                span = db.execute(
                    "SELECT extract(epoch FROM max(e.at) FILTER (WHERE e.type IN "
                    "('succeeded', 'failed')) - min(e.at) FILTER (WHERE e.type = 'started')) "
                    "FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id "
                    "WHERE j.task_name = 'orchestration.orchestrate_project'"
                ).fetchone()
                assert span is not None
                return queued_s, float(span[0]), int(row[1])
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)


def bench_fleet(base_url: str, projects: int, *, reseed: bool) -> None:
    def build(url: str) -> None:
        run_manage(
            url,
            "shell",
            "-v",
            "0",
            code=BUILD_FLEET.format(projects=projects, prefix="FLEET", tasks=5),
        )

    prepare_database(
        base_url,
        FLEET_TEMPLATE,
        marker=f"fleet of {projects} projects, 3 members and 5 tasks each",
        reseed=reseed,
        build=build,
    )
    rates = {}
    print(f"\nFleet pass over {projects} projects (one orchestration job each):")
    print(f"{'workers':>8} {'queue s':>9} {'run s':>9} {'jobs/s':>9} {'failed':>7}")
    for workers in WORKER_COUNTS:
        queued_s, run_s, failed = fleet_pass(base_url, workers=workers, projects=projects)
        rates[workers] = projects / run_s
        print(f"{workers:>8} {queued_s:>9.1f} {run_s:>9.1f} {rates[workers]:>9.1f} {failed:>7}")
    print(f"ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}")


def fire(port: int, token: str, callers: int) -> tuple[list[Answer], float]:
    answers: list[Answer | None] = [None] * callers
    released: list[float] = []
    barrier = threading.Barrier(callers, action=lambda: released.append(time.perf_counter()))

    def caller(index: int) -> None:
        barrier.wait()
        answers[index] = call(
            f"http://127.0.0.1:{port}/orchestrate/project/LOAD-00000",
            "POST",
            body={"action": "analyze_and_orchestrate"},
            headers={"Authorization": f"Token {token}"},
            timeout=600,
        )

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [a for a in answers if a is not None]
    return done, time.perf_counter() - released[0]


def bench_lock(base_url: str, callers: int) -> None:
    print(f"\n{callers} concurrent synchronous calls for one project (gunicorn 4 x 8):")
    print(
        f"{'lock timeout':>13} {'200':>5} {'409':>5} {'409 %':>6} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'max ms':>8} {'runs':>5} {'lock wait p95':>13} {'Retry-After':>11}"
    )
    for timeout_ms in LOCK_TIMEOUTS_MS:
        url = database_url(base_url, LOCK_DATABASE)
        with psycopg.connect(database_url(base_url, "postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {LOCK_DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {LOCK_DATABASE}")
        run_manage(url, "migrate", "--no-input", "-v", "0")
        # One project, LOAD-00000, with 3 members and 40 backlog tasks.
        build = BUILD_FLEET.format(projects=1, prefix="LOAD", tasks=40)
        run_manage(url, "shell", "-v", "0", code=build)
        token = api_token(url)
        environment = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_MAX_REQUESTS": "0",
            "ORCHESTRATION_LOCK_TIMEOUT_MS": timeout_ms,
        }
        environment.setdefault("SECRET_KEY", "bench-only-secret")
        log = Path(tempfile.gettempdir()) / f"bench-lock-{timeout_ms}.log"
        with running_gunicorn(env=environment, log=log, workers=4, threads=8) as server:
            answers, _ = fire(server.port, token, callers)
        statuses = Counter(a.status for a in answers)
        latencies = [a.seconds * 1000 for a in answers]
        retry = {a.headers.get("Retry-After") for a in answers if a.status == 409}
        with psycopg.connect(url) as db:
            runs_row = db.execute("SELECT count(*) FROM perfmetrics_run").fetchone()
            # project_analysis opens with the lock: its time is mostly the wait for it.
            waits = [
                float(row[0])
                for row in db.execute(
                    "SELECT duration_ms FROM perfmetrics_component WHERE name = 'project_analysis'"
                ).fetchall()
            ]
        runs = int(runs_row[0]) if runs_row else -1
        label = f"{timeout_ms} ms" if timeout_ms != "0" else "none"
        print(
            f"{label:>13} {statuses[200]:>5} {statuses[409]:>5} "
            f"{100 * statuses[409] / len(answers):>5.0f}% {percentile(latencies, 0.5):>8.0f} "
            f"{percentile(latencies, 0.95):>8.0f} {max(latencies):>8.0f} {runs:>5} "
            f"{percentile(waits, 0.95) if waits else 0:>13.0f} "
            f"{','.join(sorted(r or '-' for r in retry)) or '-':>11}"
        )
        other = set(statuses) - {200, 409}
        if other:
            raise SystemExit(f"unexpected statuses {other}; see {log}")
        if runs != statuses[200]:
            raise SystemExit(f"{runs} runs recorded for {statuses[200]} answers of 200")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--only", choices=["fleet", "lock"])
    parser.add_argument("--reseed", action="store_true", help="Rebuild the fleet database.")
    arguments = parser.parse_args(argv)
    base_url = require_database_url()
    if arguments.only in (None, "fleet"):
        bench_fleet(base_url, arguments.projects, reseed=arguments.reseed)
    if arguments.only in (None, "lock"):
        bench_lock(base_url, arguments.callers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
