"""gunicorn settings, read from the environment (gunicorn loads this file from the
working directory; the image runs ``gunicorn --config gunicorn.conf.py``).

PORT (8000), GUNICORN_WORKERS (2), GUNICORN_THREADS (4), GUNICORN_TIMEOUT (30 s),
GUNICORN_GRACEFUL_TIMEOUT (25 s, under the pod's termination grace period),
GUNICORN_KEEPALIVE (5 s), GUNICORN_MAX_REQUESTS (1000) and GUNICORN_MAX_REQUESTS_JITTER
(100); logs follow LOG_FORMAT and LOG_LEVEL like Django's (see orchestrator_site/logs.py);
PROMETHEUS_MULTIPROC_DIR as docs/prometheus.md describes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

from orchestrator_site.logs import logging_config


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# The same rule as settings.DEBUG, without importing the Django settings here.
_debug = os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}

wsgi_app = "orchestrator_site.wsgi:application"
bind = [f"0.0.0.0:{_int('PORT', 8000)}"]

# Threads let a worker overlap database waits; workers use the cores. Two workers of four
# threads fit a pod limited to one CPU; scale pods (the HPA) rather than workers.
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 4)

timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then, staggered so they never all restart together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# The heartbeat file lives in memory: the root filesystem is read-only in the cluster, and
# a disk-backed heartbeat can stall workers (gunicorn's "blocking os.fchmod" note).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No runtime control socket: it would be written under $HOME (read-only in the cluster),
# and the replica count, not gunicornc, is how this service is scaled.
control_socket_disable = True

loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
logconfig_dict = logging_config(
    log_format=os.environ.get("LOG_FORMAT", "text" if _debug else "json"),
    level=os.environ.get("LOG_LEVEL", "INFO"),
)
# With LOG_FORMAT=json these fields also appear as JSON fields of their own.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s "%(a)s"'


def on_starting(server: Any) -> None:
    # PROMETHEUS_MULTIPROC_DIR must start empty, or the previous server's counts carry
    # over: a container restarted in its pod finds its emptyDir as the last one left it.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    # With PROMETHEUS_MULTIPROC_DIR set each worker keeps its metrics in files there
    # (perfmetrics/prometheus.py); an exited worker's counts stay, its live gauges go.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
