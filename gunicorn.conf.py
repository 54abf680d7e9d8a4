"""gunicorn settings read at startup (``gunicorn orchestrator_site.wsgi``)."""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import multiprocess


def child_exit(server: Any, worker: Any) -> None:
    # With PROMETHEUS_MULTIPROC_DIR set each worker keeps its metrics in files there
    # (perfmetrics/prometheus.py); an exited worker's counts stay, its live gauges go.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
