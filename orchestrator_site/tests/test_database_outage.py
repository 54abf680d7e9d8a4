"""gunicorn with its database down, unreachable, and back (docs/design.md §6, docs/operations.md).

These tests bound answer times, against the house rule, because failing fast is the
behaviour under test: the bounds are the configured connect timeout plus a generous
margin for a loaded machine, never a performance target.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from .live_servers import (
    WORKER_APPLICATION_NAME,
    Answer,
    Gunicorn,
    TemporaryPostgres,
    call,
    manage,
    running_gunicorn,
    temporary_postgres,
)

PROJECT = "OUTAGE-001"
ORCHESTRATE = {"action": "analyze_and_orchestrate"}
# Requests in flight at once: more than one worker's threads, so both workers serve.
BURST = 12
MARGIN_S = 3.0
SESSION_COOKIE = {"Cookie": "sessionid=" + "x" * 32}

SETUP = f"""
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from conftest import make_project
make_project({PROJECT!r}, backlog=30)
user = get_user_model().objects.create_user("outage-client")
print(Token.objects.create(user=user).key)
"""


@pytest.fixture
def database() -> Iterator[tuple[TemporaryPostgres, str]]:
    """A migrated database on a server of the test's own, holding a project and a token."""
    with temporary_postgres(database="outage") as server:
        token = manage(server.url("outage"), "shell", "-v", "0", "-c", SETUP).strip()
        yield server, token


def orchestrate_burst(server: Gunicorn, token: str, count: int = BURST) -> list[Answer]:
    headers = {"Authorization": f"Token {token}", "X-Perf-Label": "outage-test"}
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(
            pool.map(
                lambda _: call(
                    f"{server.url}/orchestrate/project/{PROJECT}",
                    "POST",
                    body=ORCHESTRATE,
                    headers=headers,
                ),
                range(count),
            )
        )


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as connection:
        return connection.execute(sql).fetchall()


def connected_workers(url: str) -> set[int]:
    """Worker pids that hold a connection to the database (see gunicorn_hooks.py)."""
    names = rows(
        url,
        "SELECT application_name FROM pg_stat_activity "
        f"WHERE application_name LIKE '{WORKER_APPLICATION_NAME}%'",
    )
    return {int(str(name).removeprefix(WORKER_APPLICATION_NAME)) for (name,) in names}


def served_by(url: str, *, after: object) -> set[int]:
    """Pids of the workers that recorded runs after run ``after``."""
    return {
        int(str(pid)) for (pid,) in rows(url, f"SELECT pid FROM perfmetrics_run WHERE id > {after}")
    }


def assert_unavailable(answer: Answer, *, within: float) -> None:
    assert answer.status == 503, answer.body
    assert answer.json() == {
        "detail": "The database is unavailable; retry shortly.",
        "code": "database_unavailable",
    }
    assert answer.headers["Retry-After"] == "5"
    assert answer.seconds < within


def test_a_stopped_database_answers_503_at_once_and_the_same_workers_recover(database, tmp_path):
    postgres, token = database
    url = postgres.url("outage")
    connect_timeout = 5
    env = {"DATABASE_URL": url, "DB_CONNECT_TIMEOUT": str(connect_timeout)}
    with running_gunicorn(env=env, log_dir=tmp_path) as server:
        workers = server.worker_pids()
        served: list[int] = []
        while connected_workers(url) != workers and len(served) < 10 * BURST:
            served += [answer.status for answer in orchestrate_burst(server, token)]
        # Both workers hold persistent connections (DB_CONN_MAX_AGE) when the server stops.
        assert connected_workers(url) == workers
        assert set(served) == {200}

        postgres.stop()
        # Refused connections fail at once: no answer waits for the connect timeout.
        down = orchestrate_burst(server, token)
        api_list = call(f"{server.url}/api/projects/", headers={"Authorization": f"Token {token}"})
        admin = call(f"{server.url}/admin/", headers=SESSION_COOKIE)
        ready = call(f"{server.url}/health/ready")
        live = call(f"{server.url}/health")
        scrape = call(f"{server.url}/metrics")

        postgres.start()
        last_run_before = rows(url, "SELECT max(id) FROM perfmetrics_run")[0][0]
        back: list[Answer] = []
        while served_by(url, after=last_run_before) != workers and len(back) < 10 * BURST:
            back += orchestrate_burst(server, token)
        ready_again = call(f"{server.url}/health/ready")
        workers_after = server.worker_pids()

    for answer in [*down, api_list, admin]:
        assert_unavailable(answer, within=connect_timeout)
    assert ready.status == 503
    assert ready.json() == {"status": "unavailable", "database": "OperationalError"}
    assert live.status == 200
    assert scrape.status == 200
    # Every call after the restart succeeds, and each worker served some of them.
    assert {a.status for a in back} == {200}
    assert served_by(url, after=last_run_before) == workers == workers_after
    assert ready_again.status == 200
    runs = rows(url, "SELECT success FROM perfmetrics_run")
    # One run per orchestration answered 200, none for those answered 503.
    assert len(runs) == len(served) + len(back)
    assert set(runs) == {(True,)}
    assert rows(url, "SELECT count(*) FROM orchestration_sprint") == [(1,)]
    assert rows(url, "SELECT count(*) FROM orchestration_task WHERE sprint_id IS NOT NULL") == [
        (10,)
    ]


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port that accepts connections and never answers: a hung server or a dead proxy."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


def test_an_unreachable_database_answers_503_within_the_connect_timeout(unanswered_port, tmp_path):
    connect_timeout = 2
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{unanswered_port}/unanswered",
        "DB_CONNECT_TIMEOUT": str(connect_timeout),
    }
    token = {"Authorization": "Token " + "0" * 40}
    with (
        running_gunicorn(env=env, log_dir=tmp_path) as server,
        ThreadPoolExecutor(max_workers=4) as pool,
    ):
        waiting = [
            pool.submit(
                call, f"{server.url}/orchestrate/project/X", "POST", body={}, headers=token
            ),
            pool.submit(call, f"{server.url}/api/projects/", headers=token),
            pool.submit(call, f"{server.url}/admin/", headers=SESSION_COOKIE),
            pool.submit(call, f"{server.url}/health/ready"),
        ]
        live = call(f"{server.url}/health")
        *api, ready = [future.result() for future in waiting]

    for answer in api:
        assert_unavailable(answer, within=connect_timeout + MARGIN_S)
        # It waited for the connect timeout, which is what ended the wait.
        assert answer.seconds >= connect_timeout
    assert ready.status == 503
    assert ready.seconds < connect_timeout + MARGIN_S
    assert live.status == 200
