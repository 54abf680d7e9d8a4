"""Builders for perfmetrics tests: runs stored through the real recording path."""

from __future__ import annotations

from django.utils import timezone

from perfmetrics.models import Run
from perfmetrics.services import record_run
from perfmetrics.units import MB
from perfmetrics.values import ComponentResult, ResourceUsage, RunResult


def make_run(
    *,
    project_id: str = "TEST-001",
    started_at=None,
    duration_ms: float = 120.0,
    success: bool = True,
    error: str = "",
    source: str = "api",
    dry_run: bool = False,
    components: tuple[ComponentResult, ...] = (),
) -> Run:
    """A run stored through the real recording path."""
    result = RunResult(
        name="total_orchestration",
        project_id=project_id,
        source=source,
        dry_run=dry_run,
        labels={"caller": "test"},
        started_at=started_at or timezone.now(),
        duration_ms=duration_ms,
        success=success,
        error=error,
        components=components,
        resources=ResourceUsage(
            rss_before_bytes=100 * MB,
            rss_after_bytes=112 * MB,
            cpu_user_ms=30.0,
            cpu_system_ms=5.0,
            db_queries=17,
            db_time_ms=9.5,
        ),
        host="worker-1",
        pid=4242,
        overhead_ms=0.8,
    )
    return Run.objects.get(pk=record_run(result))


def part(
    name: str,
    *,
    parent: str = "",
    depth: int = 0,
    offset: float = 0.0,
    ms: float = 10.0,
    success: bool = True,
) -> ComponentResult:
    """A measured component (CPU half its wall time)."""
    return ComponentResult(
        name=name,
        parent=parent,
        depth=depth,
        offset_ms=offset,
        duration_ms=ms,
        cpu_ms=ms / 2,
        success=success,
        error="" if success else "ValueError: boom",
    )
