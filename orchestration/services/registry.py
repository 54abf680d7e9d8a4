"""Registering the data orchestration works on (docs/design.md §3.7): projects, employees,
memberships, backlog tasks, holidays and PTO.

Every function runs in its own ``transaction.atomic`` (a savepoint inside a caller's
transaction) and expects input already validated for types and ranges. Duplicates are
decided by the database and raised as ConflictError; unknown rows as NotFoundError.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Final, Literal

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from psycopg import errors as pg_errors

from .. import selectors
from ..exceptions import ConflictError, InvalidInputError, NotFoundError
from ..models import (
    PTO,
    ActionItemStatus,
    Employee,
    Holiday,
    HolidayType,
    Project,
    ProjectHistoryFeatures,
    ProjectMembership,
    RetrospectiveActionItem,
    Sprint,
    SprintStatus,
    Task,
    derive_task_status,
)


class _Unset(Enum):
    UNSET = "unset"


# A keyword argument left at UNSET is not changed; None is a value (e.g. "no assignee").
UNSET: Final = _Unset.UNSET
Unset = Literal[_Unset.UNSET]


@dataclass(frozen=True)
class NewTask:
    task_id: str
    title: str
    description: str = ""
    assigned_to: str | None = None
    progress_percentage: int = 0


@contextmanager
def _conflict_on_duplicate(detail: str) -> Iterator[None]:
    """Turn a unique-constraint violation into ConflictError; other integrity errors pass.

    Wrap the ``transaction.atomic`` block, not the inside of it, so that the failed
    transaction (or savepoint) is rolled back before the conflict is reported.
    """
    try:
        yield
    except IntegrityError as exc:
        if isinstance(exc.__cause__, pg_errors.UniqueViolation):
            raise ConflictError(detail) from exc
        raise


# --- projects ------------------------------------------------------------------------


def create_project(*, project_id: str, name: str, codename: str = "") -> Project:
    """A new project, ``inactive`` until orchestration opens its first sprint."""
    with _conflict_on_duplicate(f"Project {project_id!r} already exists."), transaction.atomic():
        return Project.objects.create(project_id=project_id, name=name, codename=codename)


def update_project(
    *,
    project_id: str,
    name: str | Unset = UNSET,
    codename: str | Unset = UNSET,
    time_zone: str | Unset = UNSET,
    sprint_start_weekday: str | Unset | None = UNSET,
    default_sprint_duration_weeks: int | Unset | None = UNSET,
    default_max_tasks_per_sprint: int | Unset | None = UNSET,
) -> Project:
    """Rename a project or change its cadence; its id, status and sprints are not
    editable here. Takes the project lock, as orchestration reads the cadence."""
    changes = {
        "name": name,
        "codename": codename,
        "time_zone": time_zone,
        # None and "" both mean: a sprint starts on the day it is opened.
        "sprint_start_weekday": "" if sprint_start_weekday is None else sprint_start_weekday,
        "default_sprint_duration_weeks": default_sprint_duration_weeks,
        "default_max_tasks_per_sprint": default_max_tasks_per_sprint,
    }
    with transaction.atomic():
        project = selectors.get_project(project_id, lock=True)
        changed = [field for field, value in changes.items() if value is not UNSET]
        for field in changed:
            setattr(project, field, changes[field])
        if changed:
            project.save(update_fields=[*changed, "updated_at"])
        return project


def delete_project(*, project_id: str) -> None:
    """Delete a project and everything it owns, unless a sprint of it is in progress.

    Takes the project row lock, which orchestration also takes, so no sprint can be
    opened between the check and the delete.
    """
    with transaction.atomic():
        project = selectors.get_project(project_id, lock=True)
        active = (
            Sprint.objects.in_progress()
            .filter(project=project)
            .values_list("sprint_id", flat=True)
            .first()
        )
        if active is not None:
            raise ConflictError(
                f"Project {project_id!r} has sprint {active!r} in progress; close it with "
                f"POST /api/sprints/{active}/close before deleting the project."
            )
        project.delete()


# --- employees and the team ------------------------------------------------------------


def create_employee(*, employee_id: str, name: str, email: str = "") -> Employee:
    with _conflict_on_duplicate(f"Employee {employee_id!r} already exists."), transaction.atomic():
        return Employee.objects.create(employee_id=employee_id, name=name, email=email)


def add_member(*, project_id: str, employee_id: str) -> ProjectMembership:
    """Add an existing employee to a project's team and keep its team size in sync.

    Locks the project row: membership changes of one project are serialised with each
    other and with orchestration, which reads the team under the same lock.
    """
    detail = f"Employee {employee_id!r} is already a member of project {project_id!r}."
    with _conflict_on_duplicate(detail), transaction.atomic():
        project = selectors.get_project(project_id, lock=True)
        membership = ProjectMembership.objects.create(project=project, employee_id=employee_id)
        _sync_team_size(project_id)
        return membership


def remove_member(*, project_id: str, employee_id: str) -> None:
    """Remove an employee from a project's team (NotFoundError when not a member).

    Tasks keep their assignee: who worked on what stays true after someone leaves.
    """
    with transaction.atomic():
        selectors.get_project(project_id, lock=True)
        deleted, _ = ProjectMembership.objects.filter(
            project_id=project_id, employee_id=employee_id
        ).delete()
        if not deleted:
            raise NotFoundError(
                f"Employee {employee_id!r} is not a member of project {project_id!r}."
            )
        _sync_team_size(project_id)


def _sync_team_size(project_id: str) -> None:
    """Recount the team into the history features similarity compares (one UPDATE)."""
    members = (
        ProjectMembership.objects.filter(project_id=OuterRef("project_id"))
        .order_by()
        .values("project_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    ProjectHistoryFeatures.objects.filter(project_id=project_id).update(
        team_size=Coalesce(Subquery(members), Value(0)), updated_at=timezone.now()
    )


# --- backlog tasks ---------------------------------------------------------------------


def create_tasks(*, project_id: str, tasks: Sequence[NewTask]) -> list[Task]:
    """Add tasks to a project's backlog, all or none, in the given order (oldest first).

    New tasks are in no sprint, so each is ``unassigned``, or ``completed`` at 100%.
    Assignees must exist; the API also requires them to be members of the project.
    """
    ids = [task.task_id for task in tasks]
    duplicate = "A task with one of these ids already exists."
    with _conflict_on_duplicate(duplicate), transaction.atomic():
        project = selectors.get_project(project_id)
        taken = selectors.existing_task_ids(ids)
        if taken:
            raise ConflictError(f"Tasks already exist: {', '.join(sorted(taken))}.")
        return Task.objects.bulk_create(
            Task(
                task_id=task.task_id,
                project=project,
                title=task.title,
                description=task.description,
                assigned_to_id=task.assigned_to,
                progress_percentage=task.progress_percentage,
                status=derive_task_status(
                    progress_percentage=task.progress_percentage, in_sprint=False
                ),
            )
            for task in tasks
        )


def update_task(
    *,
    task_id: str,
    title: str | Unset = UNSET,
    description: str | Unset = UNSET,
    assigned_to: str | Unset | None = UNSET,
    progress_percentage: int | Unset = UNSET,
) -> Task:
    """Change a task's text, assignee or progress; its status is derived again.

    Locks the project row and then the task row, the order orchestration uses, so a
    progress change cannot interleave with a sprint being closed or filled. The sprint
    of a task is owned by orchestration. Progress of a task kept by a closed sprint is
    history (the sprint's snapshot and counts) and cannot change: ConflictError.
    """
    with transaction.atomic():
        project_id = selectors.get_task(task_id).project_id
        selectors.get_project(project_id, lock=True)
        task = Task.objects.select_for_update(of=("self",)).select_related("sprint").get(pk=task_id)
        changed = _apply_task_changes(
            task,
            title=title,
            description=description,
            assigned_to=assigned_to,
            progress_percentage=progress_percentage,
        )
        if changed:
            task.save(update_fields=[*changed, "status", "updated_at"])
        return selectors.get_task(task_id)


def _apply_task_changes(
    task: Task,
    *,
    title: str | Unset,
    description: str | Unset,
    assigned_to: str | Unset | None,
    progress_percentage: int | Unset,
) -> list[str]:
    changed = []
    if title is not UNSET:
        task.title = title
        changed.append("title")
    if description is not UNSET:
        task.description = description
        changed.append("description")
    if assigned_to is not UNSET:
        task.assigned_to_id = assigned_to
        changed.append("assigned_to")
    if progress_percentage is not UNSET and progress_percentage != task.progress_percentage:
        sprint = task.sprint
        if sprint is not None and sprint.status != SprintStatus.IN_PROGRESS:
            raise ConflictError(
                f"Task {task.task_id!r} belongs to closed sprint {sprint.sprint_id!r}; "
                "its progress is part of that sprint's history."
            )
        task.progress_percentage = progress_percentage
        changed.append("progress_percentage")
    task.status = derive_task_status(
        progress_percentage=task.progress_percentage, in_sprint=task.sprint_id is not None
    )
    return changed


# --- calendar --------------------------------------------------------------------------


def create_holiday(*, date: date, name: str, type: HolidayType = HolidayType.PUBLIC) -> Holiday:
    detail = f"Holiday {name!r} on {date.isoformat()} already exists."
    with _conflict_on_duplicate(detail), transaction.atomic():
        return Holiday.objects.create(date=date, name=name, type=type)


def create_pto(*, employee_id: str, start_date: date, end_date: date, reason: str = "") -> PTO:
    """Record an employee's time off; it may not overlap their existing PTO (ConflictError).

    Locks the employee row so that two overlapping requests (a retried call) cannot both
    pass the overlap check.
    """
    with transaction.atomic():
        try:
            Employee.objects.select_for_update().only("pk").get(pk=employee_id)
        except Employee.DoesNotExist:
            raise InvalidInputError(f"employee: Employee {employee_id!r} does not exist.") from None
        overlapping = (
            PTO.objects.filter(
                employee_id=employee_id, start_date__lte=end_date, end_date__gte=start_date
            )
            .order_by("start_date")
            .first()
        )
        if overlapping is not None:
            raise ConflictError(
                f"Employee {employee_id!r} already has PTO from "
                f"{overlapping.start_date.isoformat()} to {overlapping.end_date.isoformat()}."
            )
        return PTO.objects.create(
            employee_id=employee_id, start_date=start_date, end_date=end_date, reason=reason
        )


# --- retrospective action items ----------------------------------------------------------


def update_action_item(*, item_id: str, status: ActionItemStatus) -> RetrospectiveActionItem:
    """Set an action item's status (``open`` or ``done``).

    Takes the project lock, as closing a sprint (which counts the open items) does.
    """
    with transaction.atomic():
        item = selectors.get_action_item(item_id)
        selectors.get_project(item.retrospective.sprint.project_id, lock=True)
        RetrospectiveActionItem.objects.filter(pk=item.pk).update(status=status)
        return selectors.get_action_item(item_id)
