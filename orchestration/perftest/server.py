"""The one launcher of local servers: ``manage.py perftest``, the benchmarks (``bench/``)
and the end-to-end tests all start gunicorn through it.

``serving`` runs a server command (``gunicorn_command``'s, or the image's CMD) until the
block ends: in a process group of its own, so Ctrl-C reaches only the caller, which
stops the server; yielded once ``ready_path`` answers 200 with ``workers`` worker
processes up; and always stopped, the whole group, on the way out. ``running_gunicorn``
is the two together on a free port; ``local_server`` is perftest's server.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psutil
from django.conf import settings

from .client import Target
from .errors import PerftestError

ROOT = Path(__file__).resolve().parents[2]
READY_PATH = "/health/ready"
STARTUP_TIMEOUT_S = 60.0
# Above gunicorn's graceful timeout (gunicorn.conf.py), so a graceful stop can finish.
STOP_TIMEOUT_S = 30.0
LOG_TAIL_LINES = 40
# perftest's server: quiet, and quick to stop.
PERFTEST_OPTIONS = ("--log-level=warning", "--keep-alive=5", "--graceful-timeout=10")


class ServerStartError(PerftestError):
    """The server exited during startup or was not ready in time; its output is in
    ``log`` (and the last lines in the exception's notes)."""

    def __init__(self, message: str, *, log: Path) -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class ServerProcess:
    """A started server: its process (the gunicorn master), port and output files."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    # Standard error's file when it is kept apart from standard output's (``log``).
    errors: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> set[int]:
        return {child.pid for child in psutil.Process(self.process.pid).children()}

    def logs(self) -> str:
        text = self.log.read_text(errors="replace")
        return text + self.errors.read_text(errors="replace") if self.errors else text


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """A ``DATABASE_URL`` that ``settings.database_from_url`` turns back into the same
    connection (a Unix socket directory as host goes into the ``host`` parameter)."""
    options = {key: str(value) for key, value in (settings_dict.get("OPTIONS") or {}).items()}
    host = str(settings_dict.get("HOST") or "")
    if host.startswith("/"):
        options["host"], host = host, ""
    elif ":" in host:
        host = f"[{host}]"
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if user or password else ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    name = quote(str(settings_dict["NAME"]), safe="")
    query = f"?{urlencode(options)}" if options else ""
    return f"postgresql://{auth}{host}{port}/{name}{query}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def gunicorn_command(
    *,
    port: int,
    workers: int,
    threads: int | None = None,
    config: Path | None = None,
    app: str | None = None,
    options: Sequence[str] = (),
) -> list[str]:
    """gunicorn on 127.0.0.1:``port``. Without ``config`` gunicorn reads the repository's
    gunicorn.conf.py (from its working directory, ``ROOT``), which also names the
    application; ``threads`` None keeps the configured count; ``options`` go last."""
    command = [sys.executable, "-m", "gunicorn"]
    if config is not None:
        command.append(f"--config={config}")
    command += [f"--bind=127.0.0.1:{port}", f"--workers={workers}"]
    if threads is not None:
        command.append(f"--threads={threads}")
    return [*command, *options, *([app] if app else [])]


@contextmanager
def serving(
    command: Sequence[str],
    *,
    port: int,
    env: Mapping[str, str],
    log: Path,
    errors: Path | None = None,
    ready_path: str = READY_PATH,
    workers: int = 0,
    startup_timeout_s: float = STARTUP_TIMEOUT_S,
    stop_timeout_s: float = STOP_TIMEOUT_S,
) -> Iterator[ServerProcess]:
    """``command`` run in ``ROOT`` with exactly ``env``, its output in ``log`` (standard
    error in ``errors`` if given). Raises ServerStartError if it is not ready in time."""
    with log.open("wb") as out, errors.open("wb") if errors else nullcontext(out) as err:
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    server = ServerProcess(process, port, log, errors)
    try:
        wait_until_ready(
            server, ready_path=ready_path, workers=workers, timeout_s=startup_timeout_s
        )
        yield server
    finally:
        stop(process, timeout_s=stop_timeout_s)


@contextmanager
def running_gunicorn(
    *,
    env: Mapping[str, str],
    log: Path,
    port: int | None = None,
    workers: int = 2,
    threads: int | None = None,
    config: Path | None = None,
    app: str | None = None,
    options: Sequence[str] = (),
    ready_path: str = READY_PATH,
    startup_timeout_s: float = STARTUP_TIMEOUT_S,
) -> Iterator[ServerProcess]:
    """``gunicorn_command`` served (``serving``) on ``port`` or a free one, ready once all
    its ``workers`` are up."""
    port = port or free_port()
    command = gunicorn_command(
        port=port, workers=workers, threads=threads, config=config, app=app, options=options
    )
    with serving(
        command,
        port=port,
        env=env,
        log=log,
        ready_path=ready_path,
        workers=workers,
        startup_timeout_s=startup_timeout_s,
    ) as server:
        yield server


@contextmanager
def local_server(
    *, database: str, workers: int, threads: int, startup_timeout_s: float
) -> Iterator[Target]:
    """perftest's gunicorn on ``database`` with this process's settings module; yields
    its target once ``/health/ready`` answers 200 and every worker is up."""
    module, attribute = settings.WSGI_APPLICATION.rsplit(".", 1)
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
    }
    with (
        tempfile.TemporaryDirectory(prefix="perftest-server-") as directory,
        running_gunicorn(
            env=env,
            log=Path(directory) / "gunicorn.log",
            workers=workers,
            threads=threads,
            app=f"{module}:{attribute}",
            options=PERFTEST_OPTIONS,
            startup_timeout_s=startup_timeout_s,
        ) as server,
    ):
        yield Target("http", "127.0.0.1", server.port)


def wait_until_ready(
    server: ServerProcess, *, ready_path: str, workers: int, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            raise _start_error(server, f"the server exited with status {code} during startup")
        if _has_workers(server, workers) and _answers(server, ready_path):
            return
        time.sleep(0.2)
    raise _start_error(server, f"the server was not ready within {timeout_s:g} s")


def stop(process: subprocess.Popen[bytes], *, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM to the server's process group (gunicorn's graceful stop), SIGKILL if it
    is still there ``timeout_s`` later; nothing once it has exited."""
    if process.poll() is not None:
        return
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _has_workers(server: ServerProcess, workers: int) -> bool:
    try:
        return len(server.worker_pids()) >= workers
    except psutil.NoSuchProcess:
        return False  # exited meanwhile: the next poll() tells


def _answers(server: ServerProcess, path: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False  # not listening yet
    finally:
        connection.close()


def _start_error(server: ServerProcess, what: str) -> ServerStartError:
    lines = [line.rstrip() for line in server.logs().splitlines() if line.strip()]
    error = ServerStartError(f"{what}: {lines[-1] if lines else 'no output'}", log=server.log)
    tail = "\n".join(lines[-LOG_TAIL_LINES:])
    error.add_note(f"last lines of the server's output ({server.log}):\n{tail}")
    return error
