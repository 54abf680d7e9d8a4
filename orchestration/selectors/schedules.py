"""Daily-scrum schedules as the workers see them: which are due, when each fires next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from ..engine.schedule import next_fire_time
from ..models import DailyScrumSchedule, SprintStatus


@dataclass(frozen=True)
class DueSchedule:
    schedule_id: int
    project_id: str
    sprint_id: str
    fire_at: datetime


def schedule_zone(zone_name: str | None = None) -> tzinfo:
    """The time zone a project's schedules are read in (its cadence's zone, docs/design.md
    §3.1); UTC when it names none."""
    return ZoneInfo(zone_name) if zone_name else UTC


def next_run_at(schedule: DailyScrumSchedule) -> datetime | None:
    """When an active schedule fires next: the first fire time after its last run (or
    its creation). None for an inactive schedule, which never fires."""
    if not schedule.is_active:
        return None
    return next_fire_time(
        schedule.cron_schedule,
        after=schedule.last_run_at or schedule.created_at,
        zone=schedule_zone(schedule.project.time_zone),
    )


def is_due(schedule: DailyScrumSchedule, *, now: datetime) -> bool:
    """Active, its sprint in progress, and a fire time after its last run is <= now."""
    fire_at = next_run_at(schedule)
    return (
        fire_at is not None
        and fire_at <= now
        and schedule.sprint.status == SprintStatus.IN_PROGRESS
    )


def due_schedules(*, now: datetime) -> tuple[DueSchedule, ...]:
    """Every schedule that should fire at ``now`` (docs/design.md §6). One query; the
    cron of each active schedule of a sprint in progress is evaluated in Python."""
    rows = (
        DailyScrumSchedule.objects.filter(is_active=True, sprint__status=SprintStatus.IN_PROGRESS)
        .select_related("project")
        .only(
            "pk",
            "project_id",
            "sprint_id",
            "cron_schedule",
            "last_run_at",
            "created_at",
            "project__time_zone",
        )
        .order_by("pk")
    )
    due = []
    for schedule in rows.iterator(chunk_size=2000):
        fire_at = next_fire_time(
            schedule.cron_schedule,
            after=schedule.last_run_at or schedule.created_at,
            zone=schedule_zone(schedule.project.time_zone),
        )
        if fire_at <= now:
            due.append(DueSchedule(schedule.pk, schedule.project_id, schedule.sprint_id, fire_at))
    return tuple(due)
