from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from perfmetrics import regression_gauge
from perfmetrics.models import Component, Run
from perfmetrics.units import MB


@pytest.fixture(autouse=True)
def _fresh_regression_gauge() -> None:
    """The gauge caches its report per process; each test starts without one."""
    regression_gauge.forget()


def make_run(
    duration_ms: float,
    *,
    project_id: str = "P1",
    name: str = "total_orchestration",
    success: bool = True,
    started_at: datetime | None = None,
    ago: timedelta = timedelta(minutes=1),
    components: Mapping[str, float] | None = None,
    rss_before_mb: float = 100.0,
    rss_delta_mb: float = 0.0,
    host: str = "host-a",
    pid: int = 1,
    source: str = "api",
    breached: bool = False,
    dry_run: bool = False,
    release: str = "unknown",
    traceback: str = "",
) -> Run:
    """A stored run with the given total duration and component durations."""
    run = Run.objects.create(
        name=name,
        project_id=project_id,
        source=source,
        dry_run=dry_run,
        started_at=started_at or timezone.now() - ago,
        duration_ms=duration_ms,
        success=success,
        breached=breached,
        error="" if success else "RuntimeError: failed",
        cpu_user_ms=duration_ms / 2,
        cpu_system_ms=1.0,
        rss_before_bytes=int(rss_before_mb * MB),
        rss_after_bytes=int((rss_before_mb + rss_delta_mb) * MB),
        db_queries=10,
        db_time_ms=2.0,
        host=host,
        pid=pid,
        overhead_ms=0.1,
        release=release,
        traceback=traceback,
    )
    Component.objects.bulk_create(
        Component(
            run=run,
            name=component,
            parent="",
            depth=0,
            offset_ms=float(position),
            duration_ms=value,
            cpu_ms=value / 2,
            success=success,
            error="",
        )
        for position, (component, value) in enumerate((components or {}).items())
    )
    return run
