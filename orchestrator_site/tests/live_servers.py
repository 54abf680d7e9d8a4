"""Real processes for end-to-end, fault and load tests: gunicorn, ``manage.py``, and a
PostgreSQL server a test owns.

Servers start through the project's launcher (``orchestration.perftest.server``, which
``manage.py perftest`` and the benchmarks use too). ``running_gunicorn`` starts the
repository's gunicorn.conf.py through ``gunicorn_hooks.py``, so every worker's database
connections carry ``application_name`` ``gunicorn-worker-PID`` and a test can tell from
``pg_stat_activity`` which worker runs a statement. ``database_url`` points a process
at the test database.
``TemporaryPostgres`` is an embedded server in a temporary directory that a test stops
and starts at will (never the shared test server).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection

from orchestration.perftest import server as launcher
from orchestration.perftest.server import free_port as free_port
from orchestrator_site import devdb

ROOT = Path(__file__).resolve().parents[2]
HOOKS = Path(__file__).with_name("gunicorn_hooks.py")
WORKER_APPLICATION_NAME = "gunicorn-worker-"
STARTUP_TIMEOUT_S = 60
# A started gunicorn: its master process, port, log and worker pids.
Gunicorn = launcher.ServerProcess


def database_url() -> str:
    """``DATABASE_URL`` of the database Django uses now (the test database), built from
    ``connection.settings_dict`` as ``manage.py perftest`` builds it for its server."""
    return launcher.database_url(connection.settings_dict)


def wait_for(
    condition: Any,
    *,
    timeout: float,
    message: str | Callable[[], str],
    interval: float = 0.1,
) -> Any:
    """Poll ``condition()`` until it returns something truthy; return that, or fail.

    A callable ``message`` is called only on failure (to show logs as they are then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    text = message() if callable(message) else message
    raise AssertionError(f"{text} (waited {timeout} s)")


@dataclass(frozen=True)
class Answer:
    """One HTTP exchange; ``seconds`` is the client-side wall time of the whole call."""

    status: int
    headers: Message
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    url: str,
    method: str = "GET",
    *,
    body: object = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Answer:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            content = response.read()
            return Answer(response.status, response.headers, content, time.perf_counter() - start)
    except urllib.error.HTTPError as error:
        content = error.read()
        return Answer(error.code, error.headers, content, time.perf_counter() - start)


@contextmanager
def running_gunicorn(
    *, env: Mapping[str, str], log_dir: Path, workers: int = 2, threads: int = 4
) -> Iterator[Gunicorn]:
    """gunicorn with the repository's settings plus ``gunicorn_hooks.py``, through the
    project's launcher; up once ``/health`` answers and every worker runs; always stopped.

    ``env`` overrides this process's environment and the defaults below."""
    full_env = {
        **os.environ,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "orchestrator_site.settings",
        "LOG_FORMAT": "text",
        **env,
    }
    with launcher.running_gunicorn(
        env=full_env,
        log=log_dir / "gunicorn.log",
        workers=workers,
        threads=threads,
        config=HOOKS,
        options=["--no-control-socket"],
        ready_path="/health",
        startup_timeout_s=STARTUP_TIMEOUT_S,
    ) as server:
        yield server


@dataclass
class TemporaryPostgres:
    """An embedded PostgreSQL listening on 127.0.0.1 only, stopped and started by the test."""

    data_dir: Path
    port: int = field(default_factory=free_port)

    def create(self, database: str) -> None:
        # initdb and a first start on a Unix socket, in a process of its own: the wheel's
        # handle keeps global state and logs from an atexit hook.
        initialise = (
            "import sys; from orchestrator_site import devdb; devdb.embedded_server(sys.argv[1])"
        )
        subprocess.run(
            [sys.executable, "-c", initialise, str(self.data_dir)],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=120,
        )
        devdb.pg_ctl(self.data_dir, "-m", "fast", "-w", "stop")
        self.start()
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        # TCP only (no Unix socket): a stopped server then refuses connections, as a
        # database host does whose PostgreSQL is down.
        options = f"-h 127.0.0.1 -p {self.port} -k ''"
        log = str(self.data_dir / "server.log")
        devdb.pg_ctl(self.data_dir, "-w", "-t", "60", "-l", log, "-o", options, "start")

    def stop(self) -> None:
        """Fast shutdown: open sessions are terminated, as when the server goes down."""
        devdb.pg_ctl(self.data_dir, "-m", "fast", "-w", "stop")

    def is_running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()


@contextmanager
def temporary_postgres(*, database: str) -> Iterator[TemporaryPostgres]:
    """A migrated database on a server of its own; stopped and deleted at the end.

    The data lives in a directory of its own under the system's temporary directory, not
    under pytest's: pytest makes its base directory private again whenever a session
    starts, which would lock out the unprivileged user the server runs as under root.
    """
    parent = Path(tempfile.mkdtemp(prefix="orchestrator-postgres-"))
    server = TemporaryPostgres(parent / "data")
    try:
        server.create(database)
        manage(server.url(database), "migrate", "--no-input", "-v", "0")
        yield server
    finally:
        if server.is_running():
            server.stop()
        shutil.rmtree(parent, ignore_errors=True)


def manage(database_url: str, *args: str) -> str:
    """``manage.py ARGS`` against ``database_url``; its standard output."""
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_FORMAT": "text"}
    result = run_manage(*args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def run_manage(
    *args: str, env: Mapping[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``manage.py ARGS`` in a process of its own with exactly ``env``; whatever its exit
    status, its output captured as text."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
