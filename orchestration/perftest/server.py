"""A gunicorn server of this project on a free local port, for a test run's duration."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any
from urllib.parse import quote, urlencode

from django.conf import settings

from .client import ApiClient, Target
from .errors import PerftestError

READY_PATH = "/health/ready"
STOP_TIMEOUT_S = 15.0


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


def gunicorn_command(*, port: int, workers: int, threads: int) -> list[str]:
    module, attribute = settings.WSGI_APPLICATION.rsplit(".", 1)
    return [
        sys.executable,
        "-m",
        "gunicorn",
        f"{module}:{attribute}",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        f"--chdir={settings.BASE_DIR}",
        "--log-level=warning",
        "--keep-alive=5",
        "--graceful-timeout=10",
    ]


@contextmanager
def local_server(
    *, database: str, workers: int, threads: int, startup_timeout_s: float
) -> Iterator[Target]:
    """Start gunicorn on ``database`` and yield its target once ``/health/ready`` answers
    200; the server is stopped on the way out, whatever happened (Ctrl-C included)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
    }
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            gunicorn_command(port=port, workers=workers, threads=threads),
            env=env,
            # The project's gunicorn.conf.py, if any, applies; the options above win.
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C reaches only this command, which stops the server.
            start_new_session=True,
        )
        try:
            target = Target("http", "127.0.0.1", port)
            _wait_until_ready(target, process, log, timeout_s=startup_timeout_s)
            yield target
        finally:
            _stop(process)


def _wait_until_ready(
    target: Target, process: subprocess.Popen[bytes], log: IO[bytes], *, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    with ApiClient(target, token=None, timeout_s=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise PerftestError(
                    f"the test server exited with status {process.returncode} during startup: "
                    f"{_last_line(log)}"
                )
            if client.get(READY_PATH).status == 200:
                return
            time.sleep(0.2)
    raise PerftestError(
        f"the test server was not ready within {timeout_s:g} s: {_last_line(log) or 'no output'}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (gunicorn's graceful stop), SIGKILL if it
    lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def _last_line(log: IO[bytes]) -> str:
    log.seek(0)
    lines = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines()]
    return next((line for line in reversed(lines) if line), "")
