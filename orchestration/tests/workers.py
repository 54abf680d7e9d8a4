"""Real procrastinate workers for tests: ``manage.py procrastinate worker`` subprocesses
on the test database, ticking every second and quick to notice a dead worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestrator_site.tests.live_servers import database_url

REPO = Path(__file__).resolve().parents[2]
STOP_TIMEOUT_S = 10


def worker_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SCHEDULE_TICK_CRON": "* * * * * *",
        "WORKER_HEARTBEAT_S": "0.5",
        "WORKER_STALLED_AFTER_S": "2",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def start_worker(log: Path, **extra: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker", "--concurrency", "2"],
            cwd=REPO,
            env=worker_env(**extra),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def workers(count: int, log: Path, **extra: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` workers, always stopped, even when the test fails."""
    processes = [start_worker(log, **extra) for _ in range(count)]
    try:
        yield processes
    finally:
        for process in processes:
            stop_worker(process)
