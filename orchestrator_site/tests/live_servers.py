"""Real processes for end-to-end, fault and load tests: gunicorn, ``manage.py``, and a
PostgreSQL server a test owns.

``running_gunicorn`` starts the repository's gunicorn.conf.py through ``gunicorn_hooks.py``,
so every worker's database connections carry ``application_name`` ``gunicorn-worker-PID``
and a test can tell from ``pg_stat_activity`` which worker runs a statement.
``serving`` starts any server command (the image's CMD, say) the same way: up once it
answers, always stopped. ``database_url`` points a process at the test database.
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import psutil
import psycopg
from django.db import connection

from orchestration.perftest import server as perftest_server
from orchestration.perftest.server import free_port as free_port
from orchestrator_site import devdb

ROOT = Path(__file__).resolve().parents[2]
HOOKS = Path(__file__).with_name("gunicorn_hooks.py")
WORKER_APPLICATION_NAME = "gunicorn-worker-"
STARTUP_TIMEOUT_S = 60


def database_url() -> str:
    """``DATABASE_URL`` of the database Django uses now (the test database), built from
    ``connection.settings_dict`` as ``manage.py perftest`` builds it for its server."""
    return perftest_server.database_url(connection.settings_dict)


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


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    # Standard error's file when it is kept apart from standard output's (``log``).
    errors: Path | None = None

    def worker_pids(self) -> set[int]:
        return {child.pid for child in psutil.Process(self.process.pid).children()}

    def logs(self) -> str:
        text = self.log.read_text(errors="replace")
        return text + self.errors.read_text(errors="replace") if self.errors else text


@contextmanager
def running_gunicorn(
    *, env: Mapping[str, str], log_dir: Path, workers: int = 2, threads: int = 4
) -> Iterator[Gunicorn]:
    """gunicorn with the repository's settings, up once ``/health`` answers; always stopped.

    ``env`` overrides this process's environment and the defaults below."""
    url = f"http://127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "gunicorn", "-c", str(HOOKS)]
    command += ["--bind", url.removeprefix("http://"), "--workers", str(workers)]
    command += ["--threads", str(threads), "--no-control-socket"]
    full_env = {
        **os.environ,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "orchestrator_site.settings",
        "LOG_FORMAT": "text",
        **env,
    }
    with serving(
        command, env=full_env, url=url, log=log_dir / "gunicorn.log", workers=workers
    ) as server:
        yield server


@contextmanager
def serving(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    url: str,
    log: Path,
    errors: Path | None = None,
    ready_path: str = "/health",
    workers: int = 0,
) -> Iterator[Gunicorn]:
    """``command`` run in the repository with exactly ``env``, its output in ``log`` (its
    standard error in ``errors`` if given); yielded once ``url + ready_path`` answers 200
    with at least ``workers`` worker processes up. Always stopped on the way out."""
    with log.open("wb") as out, errors.open("wb") if errors else nullcontext(out) as err:
        process = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=out, stderr=err)
    server = Gunicorn(process, url, log, errors)
    try:
        wait_for(
            lambda: _answers(server, ready_path, workers),
            timeout=STARTUP_TIMEOUT_S,
            message=lambda: f"{url}{ready_path} never answered 200:\n{server.logs()}",
            interval=0.2,
        )
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if the process is still there 30 s later; no-op once exited."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _answers(server: Gunicorn, ready_path: str, workers: int) -> bool:
    code = server.process.poll()
    assert code is None, f"the server exited with {code}:\n{server.logs()}"
    if workers and len(server.worker_pids()) < workers:
        return False
    try:
        return call(f"{server.url}{ready_path}", timeout=5).status == 200
    except OSError:
        return False  # not listening yet


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
