"""The daily scrum (docs/design.md §3.7): each day moves the active sprint's unfinished tasks along.

It stands in for the work of the team, so the sprint lifecycle runs end to end: each
sprint's schedule fires a worker job (``services/schedules.py``), ``manage.py
run_daily_scrum`` runs it by hand, and the next orchestration closes the sprint once
every task is done or its end date has passed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from statistics import fmean
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from .. import selectors
from ..models import (
    DailyScrumEntry,
    DailyScrumReport,
    Sprint,
    Task,
    derive_task_status,
)

MIN_GAIN = 5
MAX_GAIN = 30
IMPEDIMENT_CHANCE = 0.15
IMPEDIMENTS = (
    "Waiting for a code review.",
    "Blocked on a dependency from another team.",
    "Test environment was unavailable for part of the day.",
    "Needs a decision from the product owner.",
)


@dataclass(frozen=True)
class TaskProgress:
    task_id: str
    title: str
    employee_id: str | None
    before: int
    after: int

    @property
    def completed_today(self) -> bool:
        return self.after >= 100


@dataclass(frozen=True)
class DailyScrumOutcome:
    """What one daily scrum did; ``report_id`` is None when nothing was written."""

    project_id: str
    sprint_id: str | None
    report_id: int | None
    progressed: tuple[TaskProgress, ...]
    already_reported: bool = False
    report_date: date | None = None

    @property
    def completed_today(self) -> int:
        return sum(1 for p in self.progressed if p.completed_today)


def run_daily_scrum(
    *, project_id: str, report_date: date | None = None, rng: random.Random | None = None
) -> DailyScrumOutcome:
    """Advance the project's active sprint by one day and write its daily-scrum report.

    Each unfinished task gains MIN_GAIN..MAX_GAIN percent (capped at 100) and becomes
    ``in_progress``, or ``completed`` at 100; the report holds one entry per task that
    moved. Runs in its own transaction under the project's row lock, so it never
    interleaves with an orchestration of the same project. Nothing happens when the
    project has no active sprint, or when the sprint already has a report for
    ``report_date`` (a retried CronJob must not advance the same day twice); without
    ``report_date``, the day is today in the project's time zone.
    Raises ProjectNotFoundError for an unknown project.
    """
    rng = rng or random.Random()
    with transaction.atomic():
        project = selectors.get_project(project_id, lock=True)
        # Without a date, the project's own day (docs/design.md §3.1, "Project cadence").
        day = report_date or timezone.localdate(timezone=ZoneInfo(project.time_zone))
        sprint = Sprint.objects.in_progress().filter(project=project).first()
        if sprint is None:
            return DailyScrumOutcome(project_id, None, None, (), report_date=day)
        return advance_sprint(sprint, report_date=day, rng=rng)


def advance_sprint(sprint: Sprint, *, report_date: date, rng: random.Random) -> DailyScrumOutcome:
    """The daily scrum of one sprint in progress. Call inside ``transaction.atomic``
    holding the project lock; nothing happens when the sprint already has a report for
    ``report_date``."""
    if DailyScrumReport.objects.filter(sprint=sprint, report_date=report_date).exists():
        return DailyScrumOutcome(
            sprint.project_id, sprint.pk, None, (), already_reported=True, report_date=report_date
        )
    tasks = list(Task.objects.filter(sprint=sprint).order_by("created_at", "task_id"))
    progressed = _advance(tasks, rng)
    report = _write_report(sprint, tasks, progressed, report_date=report_date, rng=rng)
    return DailyScrumOutcome(
        sprint.project_id, sprint.pk, report.pk, progressed, report_date=report_date
    )


def _advance(tasks: list[Task], rng: random.Random) -> tuple[TaskProgress, ...]:
    """Move every unfinished task along; one UPDATE statement for all of them."""
    now = timezone.now()
    moved = []
    progressed = []
    for task in tasks:
        if task.progress_percentage >= 100:
            continue
        before = task.progress_percentage
        task.progress_percentage = min(100, before + rng.randint(MIN_GAIN, MAX_GAIN))
        task.status = derive_task_status(
            progress_percentage=task.progress_percentage, in_sprint=True
        )
        task.updated_at = now
        moved.append(task)
        progressed.append(
            TaskProgress(
                task.task_id, task.title, task.assigned_to_id, before, task.progress_percentage
            )
        )
    Task.objects.bulk_update(moved, ["progress_percentage", "status", "updated_at"])
    return tuple(progressed)


def _write_report(
    sprint: Sprint,
    tasks: list[Task],
    progressed: tuple[TaskProgress, ...],
    *,
    report_date: date,
    rng: random.Random,
) -> DailyScrumReport:
    completed = sum(1 for t in tasks if t.progress_percentage >= 100)
    done_today = sum(1 for p in progressed if p.completed_today)
    average = fmean(t.progress_percentage for t in tasks) if tasks else 0.0
    day = (report_date - sprint.start_date).days + 1
    report = DailyScrumReport.objects.create(
        project_id=sprint.project_id,
        sprint=sprint,
        report_date=report_date,
        summary=(
            f"Day {day} of {sprint.sprint_id}: {len(progressed)} task(s) worked on, "
            f"{done_today} completed today; {completed} of {len(tasks)} task(s) done, "
            f"average progress {average:.0f}%."
        ),
        metrics={
            "day_of_sprint": day,
            "total_tasks": len(tasks),
            "completed_tasks": completed,
            "tasks_worked_on": len(progressed),
            "completed_today": done_today,
            "progress_gained": sum(p.after - p.before for p in progressed),
            "average_progress": round(average, 1),
        },
    )
    DailyScrumEntry.objects.bulk_create(_entry(report, p, rng) for p in progressed)
    return report


def _entry(report: DailyScrumReport, progress: TaskProgress, rng: random.Random) -> DailyScrumEntry:
    if progress.completed_today:
        today = f"Hand over {progress.title!r} and pick up the next task."
    else:
        today = f"Continue {progress.title!r} from {progress.after}%."
    blocked = rng.random() < IMPEDIMENT_CHANCE and not progress.completed_today
    return DailyScrumEntry(
        report=report,
        employee_id=progress.employee_id,
        task_id=progress.task_id,
        yesterday_work=(f"Worked on {progress.title!r}: {progress.before}% -> {progress.after}%."),
        today_work=today,
        impediments=rng.choice(IMPEDIMENTS) if blocked else "",
    )
