"""Reads behind the registry endpoints (docs/design.md §3.7).

List selectors return unevaluated querysets so the API can filter and page them in SQL;
each list costs one query per page (plus one count), however many rows it shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from ..exceptions import NotFoundError, ProjectNotFoundError
from ..models import (
    PTO,
    DailyScrumReport,
    Employee,
    Holiday,
    Project,
    ProjectMembership,
    RetrospectiveActionItem,
    Sprint,
    SprintTaskSnapshot,
    Task,
)


def require_project(project_id: str) -> None:
    """ProjectNotFoundError unless the project exists (one query)."""
    if not Project.objects.filter(pk=project_id).exists():
        raise ProjectNotFoundError(project_id)


def list_projects() -> QuerySet[Project]:
    """Projects by id, each annotated with ``team_size``."""
    return Project.objects.annotate(team_size=Count("memberships")).order_by("project_id")


def get_project_detail(project_id: str) -> Project:
    """One project annotated like ``list_projects``, or ProjectNotFoundError."""
    try:
        return list_projects().get(pk=project_id)
    except Project.DoesNotExist:
        raise ProjectNotFoundError(project_id) from None


def list_employees() -> QuerySet[Employee]:
    return Employee.objects.order_by("employee_id")


def existing_employee_ids(employee_ids: Iterable[str]) -> set[str]:
    """Which of ``employee_ids`` exist (one query)."""
    return set(
        Employee.objects.filter(pk__in=set(employee_ids)).values_list("employee_id", flat=True)
    )


def list_project_members(project_id: str) -> QuerySet[ProjectMembership]:
    """The project's memberships with their employees, by employee id (404 when unknown)."""
    require_project(project_id)
    return (
        ProjectMembership.objects.filter(project_id=project_id)
        .select_related("employee")
        .order_by("employee_id")
    )


def get_membership(project_id: str, employee_id: str) -> ProjectMembership:
    return ProjectMembership.objects.select_related("employee").get(
        project_id=project_id, employee_id=employee_id
    )


def list_project_tasks(project_id: str) -> QuerySet[Task]:
    """The project's tasks with their assignees, oldest first (404 when unknown)."""
    require_project(project_id)
    return (
        Task.objects.filter(project_id=project_id)
        .select_related("assigned_to")
        .order_by("created_at", "task_id")
    )


def get_task(task_id: str) -> Task:
    """One task with its assignee, or NotFoundError."""
    try:
        return Task.objects.select_related("assigned_to").get(pk=task_id)
    except Task.DoesNotExist:
        raise NotFoundError(f"Task {task_id!r} does not exist.") from None


def get_tasks(task_ids: Sequence[str]) -> list[Task]:
    """Tasks with their assignees in the order of ``task_ids`` (one query)."""
    tasks = Task.objects.select_related("assigned_to").in_bulk(task_ids)
    return [tasks[task_id] for task_id in task_ids if task_id in tasks]


def existing_task_ids(task_ids: Iterable[str]) -> set[str]:
    """Which of ``task_ids`` are taken, in any project (one query)."""
    return set(Task.objects.filter(pk__in=set(task_ids)).values_list("task_id", flat=True))


def _with_task_counts(sprints: QuerySet[Sprint]) -> QuerySet[Sprint]:
    # Closed sprints carry their counts (their unfinished tasks went back to the
    # backlog); the sprint in progress is counted live.
    return sprints.annotate(
        total_tasks=Coalesce("task_count", Count("tasks")),
        completed_tasks=Coalesce(
            "completed_count", Count("tasks", filter=Q(tasks__progress_percentage__gte=100))
        ),
    )


def list_project_sprints(project_id: str) -> QuerySet[Sprint]:
    """The project's sprints, newest first, with task counts (404 when unknown)."""
    require_project(project_id)
    return _with_task_counts(Sprint.objects.filter(project_id=project_id)).order_by("-number")


def get_sprint_detail(sprint_id: str) -> Sprint:
    """One sprint with its tasks (and assignees), its closing snapshot, its retrospective
    with its action items and its daily-scrum reports: five queries."""
    sprint = (
        _with_task_counts(Sprint.objects.filter(pk=sprint_id))
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=Task.objects.select_related("assigned_to").order_by(
                    "created_at", "task_id"
                ),
            ),
            Prefetch("task_snapshots", queryset=SprintTaskSnapshot.objects.order_by("task_id")),
            Prefetch(
                "retrospective__action_items",
                queryset=RetrospectiveActionItem.objects.order_by("id"),
            ),
            Prefetch(
                "daily_reports",
                queryset=DailyScrumReport.objects.order_by("report_date", "id").only(
                    "id", "sprint_id", "report_date", "created_at", "summary"
                ),
            ),
        )
        .select_related("retrospective")
        .first()
    )
    if sprint is None:
        raise NotFoundError(f"Sprint {sprint_id!r} does not exist.")
    return sprint


def list_holidays() -> QuerySet[Holiday]:
    return Holiday.objects.order_by("date", "name")


def list_pto() -> QuerySet[PTO]:
    """PTO with the employee, by start date."""
    return PTO.objects.select_related("employee").order_by("start_date", "employee_id", "pk")


def list_project_action_items(project_id: str) -> QuerySet[RetrospectiveActionItem]:
    """The action items of the project's retrospectives, oldest first (404 when unknown)."""
    require_project(project_id)
    return (
        RetrospectiveActionItem.objects.filter(retrospective__sprint__project_id=project_id)
        .select_related("retrospective")
        .order_by("id")
    )


def get_action_item(item_id: str) -> RetrospectiveActionItem:
    """One action item by its id as written in a URL, or NotFoundError."""
    # ASCII digits only and within bigint, so a hostile id is a 404, never a database error.
    if not (item_id.isascii() and item_id.isdigit() and len(item_id) < 19):
        raise NotFoundError(f"Action item {item_id!r} does not exist.")
    item = (
        RetrospectiveActionItem.objects.select_related("retrospective__sprint")
        .filter(pk=int(item_id))
        .first()
    )
    if item is None:
        raise NotFoundError(f"Action item {item_id!r} does not exist.")
    return item
