"""The launcher of local servers (perftest, the benchmarks and the end-to-end tests use it),
driven with small stand-in server commands."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest

from orchestration.perftest.server import (
    ServerStartError,
    free_port,
    gunicorn_command,
    serving,
)

# Answers 200 on /health/ready and 503 elsewhere; starts a sleeping child in its process
# group and prints both pids.
STAND_IN = """
import http.server, subprocess, sys, os
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print(os.getpid(), child.pid, flush=True)
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health/ready" else 503)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def is_gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def wait_until_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if is_gone(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_ready_server_runs_in_its_own_process_group_which_is_stopped_at_the_end(tmp_path):
    port = free_port()
    log = tmp_path / "server.log"

    with serving([sys.executable, "-c", STAND_IN, str(port)], port=port, env=os.environ, log=log):
        server_pid, child_pid = (int(pid) for pid in log.read_text().split())
        assert os.getpgid(server_pid) == server_pid != os.getpgid(os.getpid())
        assert os.getpgid(child_pid) == server_pid

    assert wait_until_gone(server_pid)
    assert wait_until_gone(child_pid)


def test_a_server_that_exits_during_startup_is_reported_with_its_output(tmp_path):
    command = [sys.executable, "-c", "print('no database'); raise SystemExit(3)"]

    with (
        pytest.raises(ServerStartError) as failure,
        serving(command, port=free_port(), env=os.environ, log=tmp_path / "server.log"),
    ):
        pytest.fail("the server never became ready")

    assert str(failure.value) == "the server exited with status 3 during startup: no database"
    assert failure.value.log == tmp_path / "server.log"
    assert "no database" in failure.value.__notes__[0]


def test_a_server_that_never_answers_is_stopped_after_the_startup_timeout(tmp_path):
    command = [
        sys.executable,
        "-c",
        "import os, time; print(os.getpid(), flush=True); time.sleep(60)",
    ]
    log = tmp_path / "server.log"

    with (
        pytest.raises(ServerStartError) as failure,
        serving(command, port=free_port(), env=os.environ, log=log, startup_timeout_s=0.5),
    ):
        pytest.fail("the server never became ready")

    pid = int(log.read_text())
    assert str(failure.value) == f"the server was not ready within 0.5 s: {pid}"
    assert wait_until_gone(pid)


def test_a_server_that_ignores_sigterm_is_killed(tmp_path):
    ignore = f"import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); exec({STAND_IN!r})"
    port = free_port()

    with serving(
        [sys.executable, "-c", ignore, str(port)],
        port=port,
        env=os.environ,
        log=tmp_path / "log",
        stop_timeout_s=0.5,
    ) as server:
        pass

    assert server.process.returncode == -signal.SIGKILL


def test_the_gunicorn_command_puts_the_config_first_and_the_application_last():
    command = gunicorn_command(
        port=8123,
        workers=3,
        threads=2,
        config=Path("/etc/hooks.py"),
        app="site.wsgi:application",
        options=["--log-level=warning"],
    )

    assert command[:3] == [sys.executable, "-m", "gunicorn"]
    assert command[3:] == [
        "--config=/etc/hooks.py",
        "--bind=127.0.0.1:8123",
        "--workers=3",
        "--threads=2",
        "--log-level=warning",
        "site.wsgi:application",
    ]


def test_without_threads_or_config_the_configuration_file_decides():
    command = gunicorn_command(port=8123, workers=1)

    assert command[3:] == ["--bind=127.0.0.1:8123", "--workers=1"]
