"""Daily-scrum schedules: operator actions, and firing a due schedule."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .. import selectors
from ..exceptions import NotFoundError
from ..models import DailyScrumSchedule
from . import sprints
from .daily_scrum import DailyScrumOutcome, advance_sprint


def deactivate_project_schedule(*, project_id: str, name: str) -> selectors.ScheduleState:
    """Deactivate one of the project's schedules and return its state.

    Idempotent: an already inactive schedule keeps its deactivation time. Raises
    ProjectNotFoundError or NotFoundError. Takes the project's row lock, like every
    change to a project's sprints and schedules.
    """
    with transaction.atomic():
        selectors.get_project(project_id, lock=True)
        sprints.deactivate_schedule(project_id=project_id, name=name)
        state = selectors.project_schedule(project_id, name)
    if state is None:
        raise NotFoundError(f"Project {project_id!r} has no schedule named {name!r}.")
    return state


@dataclass(frozen=True)
class ScheduledRun:
    """What one firing of a schedule did; ``outcome`` None when it was not due any more."""

    schedule_id: int
    ran_at: datetime | None
    outcome: DailyScrumOutcome | None


def run_scheduled_daily_scrum(
    *, schedule_id: int, now: datetime | None = None, rng: random.Random | None = None
) -> ScheduledRun:
    """Fire one schedule: the daily scrum of its sprint, and ``last_run_at`` set, in one
    transaction under the project lock (docs/design.md §6, "Background work").

    Due-ness is checked again under the lock, so a job deferred twice, retried after its
    worker died, or outrun by an operator's deactivation or the sprint's closing, does
    nothing. A deleted schedule is nothing to do either.
    """
    now = now or timezone.now()
    with transaction.atomic():
        project_id = (
            DailyScrumSchedule.objects.filter(pk=schedule_id)
            .values_list("project_id", flat=True)
            .first()
        )
        if project_id is None:
            return ScheduledRun(schedule_id, None, None)
        selectors.get_project(project_id, lock=True)
        schedule = (
            DailyScrumSchedule.objects.select_related("sprint", "project")
            .filter(pk=schedule_id)
            .first()
        )
        if schedule is None or not selectors.is_due(schedule, now=now):
            return ScheduledRun(schedule_id, None, None)
        report_date = now.astimezone(selectors.schedule_zone(schedule.project.time_zone)).date()
        outcome = advance_sprint(
            schedule.sprint, report_date=report_date, rng=rng or random.Random()
        )
        schedule.last_run_at = now
        schedule.save(update_fields=["last_run_at"])
    return ScheduledRun(schedule_id, now, outcome)
