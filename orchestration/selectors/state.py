"""Reads behind orchestration: project state and history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.db import OperationalError, connection
from django.db.models import Count, Q

from ..engine.values import (
    Absence,
    ActiveSprint,
    Calendar,
    HolidayDay,
    ProjectState,
    SprintOutcome,
    TaskSummary,
)
from ..exceptions import OrchestrationInProgressError, ProjectNotFoundError
from ..models import (
    PTO,
    UNASSIGNED_TASK,
    DailyScrumSchedule,
    Holiday,
    Project,
    ProjectMembership,
    Sprint,
    SprintRetrospective,
    SprintStatus,
    Task,
    Weekday,
)

WEEKDAYS = [day.value for day in Weekday]  # Monday first, as date.weekday()
CLOSED_SPRINT_STATUSES = (SprintStatus.COMPLETED, SprintStatus.CLOSED_WITH_PENDING_TASKS)


def get_project(project_id: str, *, lock: bool = False) -> Project:
    """The project, or ProjectNotFoundError. ``lock=True`` takes the per-project row lock.

    Locking must happen inside ``transaction.atomic``; it serialises every change to
    one project's sprints and assignments.
    """
    queryset = Project.objects.all()
    if lock:
        queryset = queryset.select_for_update()
    try:
        return queryset.get(pk=project_id)
    except Project.DoesNotExist:
        raise ProjectNotFoundError(project_id) from None


# PostgreSQL's SQLSTATE for "lock not available", raised when lock_timeout runs out.
LOCK_NOT_AVAILABLE = "55P03"


def lock_project(project_id: str, *, timeout_ms: int) -> Project:
    """The project with its row lock, waiting at most ``timeout_ms`` for it.

    Call inside ``transaction.atomic`` and let the error propagate: PostgreSQL's
    ``lock_timeout`` is set for this one ``SELECT … FOR UPDATE`` and reset after it, and
    running out of time aborts the transaction, which then rolls back whole, and raises
    OrchestrationInProgressError (docs/design.md §3.5, "Lock timeout"). Two statements
    more than ``get_project(lock=True)``.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{timeout_ms}ms"])
        try:
            project = get_project(project_id, lock=True)
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            raise OrchestrationInProgressError(project_id) from None
        cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    return project


def team_member_ids(project_id: str) -> tuple[str, ...]:
    """The project's members by id. Orchestration reads them once, under the project lock,
    and hands them to every step that needs the team."""
    return tuple(
        ProjectMembership.objects.filter(project_id=project_id)
        .order_by("employee_id")
        .values_list("employee_id", flat=True)
    )


def project_state(
    project: Project, *, team: Sequence[str], today: date, duration_weeks: int
) -> ProjectState:
    """Backlog counts, the active sprint, and the holidays and PTO of ``team`` (the
    project's ``team_member_ids``) from ``today`` to the end of any sprint this call may
    open or the running sprint's end; the engine cuts the windows (docs/design.md §3.2)."""
    counts = Task.objects.filter(project=project).aggregate(
        total=Count("pk"), unassigned=Count("pk", filter=UNASSIGNED_TASK)
    )
    active = active_sprint(project.pk)
    # Wide enough for any sprint this call may open (intelligence adds at most one week)
    # and for the rest of the running sprint; a start weekday can push the start 6 days on.
    horizon = max(
        today + timedelta(weeks=duration_weeks + 1, days=6), active.end_date if active else today
    )
    calendar = team_calendar(team, start=today, end=horizon)
    return ProjectState(
        project_id=project.pk,
        backlog_tasks=counts["total"],
        unassigned_tasks=counts["unassigned"],
        active_sprint=active,
        team_size=len(team),
        next_sprint_number=project.sprint_count + 1,
        team=tuple(team),
        calendar=calendar,
        start_weekday=(
            WEEKDAYS.index(project.sprint_start_weekday) if project.sprint_start_weekday else None
        ),
    )


def active_sprint(project_id: str) -> ActiveSprint | None:
    sprint = (
        Sprint.objects.in_progress()
        .filter(project_id=project_id)
        .annotate(
            total=Count("tasks"),
            completed=Count("tasks", filter=Q(tasks__progress_percentage__gte=100)),
        )
        .first()
    )
    if sprint is None:
        return None
    schedule = (
        DailyScrumSchedule.objects.filter(sprint=sprint)
        .order_by("-is_active", "-created_at")
        .values_list("name", "is_active")
        .first()
    )
    return ActiveSprint(
        sprint_id=sprint.sprint_id,
        sprint_name=sprint.sprint_name,
        start_date=sprint.start_date,
        end_date=sprint.end_date,
        duration_weeks=sprint.duration_weeks,
        tasks=TaskSummary(total=sprint.total, completed=sprint.completed),
        schedule_name=schedule[0] if schedule else None,
        schedule_active=bool(schedule and schedule[1]),
    )


def team_calendar(member_ids: Sequence[str], *, start: date, end: date) -> Calendar:
    """Holidays inside [start, end] and the PTO of ``member_ids`` overlapping it (two
    queries, one without a team)."""
    holidays = tuple(
        HolidayDay(date=h.date, name=h.name, details=f"{h.get_type_display()} holiday")
        for h in Holiday.objects.filter(date__range=(start, end))
    )
    if not member_ids:
        return Calendar(holidays=holidays)
    pto = PTO.objects.filter(
        employee_id__in=member_ids, start_date__lte=end, end_date__gte=start
    ).select_related("employee")
    absences = tuple(
        Absence(
            employee_id=p.employee_id,
            name=p.employee.name,
            start=p.start_date,
            end=p.end_date,
            details=(
                f"{p.employee_id} off {p.start_date.isoformat()} to {p.end_date.isoformat()}"
                + (f": {p.reason}" if p.reason else "")
            ),
        )
        for p in pto
    )
    return Calendar(holidays=holidays, absences=absences)


def projects_with_active_sprint() -> list[str]:
    """Ids of the projects that have a sprint in progress, in id order."""
    return list(
        Sprint.objects.in_progress().order_by("project_id").values_list("project_id", flat=True)
    )


def sprint_outcomes(project_id: str) -> list[SprintOutcome]:
    """The project's closed sprints that held tasks, oldest first. A sprint closed without
    tasks says nothing about the team's pace: it stays out of the features, the velocity
    and the similarity (docs/design.md §4)."""
    rows = (
        Sprint.objects.filter(
            project_id=project_id, status__in=CLOSED_SPRINT_STATUSES, task_count__gt=0
        )
        .order_by("number")
        .values_list("sprint_id", "task_count", "completed_count", "duration_weeks")
    )
    return [
        SprintOutcome(
            sprint_id=sprint_id,
            task_count=task_count or 0,
            completed_count=completed_count or 0,
            duration_weeks=weeks,
        )
        for sprint_id, task_count, completed_count, weeks in rows
    ]


def retrospective_count(project_id: str) -> int:
    """Retrospectives of the closed sprints ``sprint_outcomes`` reads (those that held tasks)."""
    return SprintRetrospective.objects.filter(
        sprint__project_id=project_id, sprint__task_count__gt=0
    ).count()
