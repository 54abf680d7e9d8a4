"""gunicorn settings for tests: the repository's gunicorn.conf.py plus one test-only hook.

Each worker names its PostgreSQL connections ``gunicorn-worker-PID`` (libpq reads
``PGAPPNAME``), so a test finds in ``pg_stat_activity`` the worker behind a backend.
Loaded with ``gunicorn -c orchestrator_site/tests/gunicorn_hooks.py``; never in production.
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path
from typing import Any

_settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
globals().update({name: value for name, value in _settings.items() if not name.startswith("_")})


def post_fork(server: Any, worker: Any) -> None:
    os.environ["PGAPPNAME"] = f"gunicorn-worker-{os.getpid()}"
