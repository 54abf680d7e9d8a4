"""Closing and opening sprints, their schedules and the history they leave behind.

Every function here must run inside ``transaction.atomic`` with the project row
locked (``selectors.get_project(..., lock=True)``); each issues a fixed number of
statements however many tasks a sprint holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from itertools import cycle

from django.utils import timezone

from .. import selectors
from ..engine import patterns
from ..engine.retrospective import describe_retrospective
from ..engine.rules import sprint_identifier
from ..engine.schedule import schedule_name
from ..engine.values import HISTORY_FEATURE_FIELDS, DecisionMode
from ..models import (
    DailyScrumSchedule,
    DeactivationReason,
    Project,
    ProjectHistoryFeatures,
    ProjectStatus,
    RetrospectiveActionItem,
    Sprint,
    SprintRetrospective,
    SprintStatus,
    SprintTaskSnapshot,
    Task,
    TaskStatus,
)


@dataclass(frozen=True)
class ClosedSprint:
    sprint_id: str
    status: SprintStatus
    total: int
    completed: int


@dataclass(frozen=True)
class OpenedSprint:
    sprint_id: str
    assigned_task_ids: tuple[str, ...]
    schedule_name: str | None


def close_sprint(*, project: Project, sprint_id: str, team_size: int | None = None) -> ClosedSprint:
    """Close a sprint: snapshot its tasks, return incomplete ones to the backlog,
    write the retrospective, deactivate its schedule and refresh the history features.

    ``team_size`` is the size of the team the caller already read under the project
    lock; without it the team is counted here.
    """
    tasks = list(
        Task.objects.filter(sprint_id=sprint_id).values_list(
            "task_id", "assigned_to_id", "progress_percentage"
        )
    )
    completed = [task_id for task_id, _, progress in tasks if progress >= 100]
    in_progress = sum(1 for _, _, progress in tasks if 0 < progress < 100)
    not_started = sum(1 for _, _, progress in tasks if progress == 0)
    SprintTaskSnapshot.objects.bulk_create(
        SprintTaskSnapshot(
            sprint_id=sprint_id,
            task_id=task_id,
            assigned_to_id=assignee,
            progress_percentage=progress,
            completed=progress >= 100,
        )
        for task_id, assignee, progress in tasks
    )
    Task.objects.filter(sprint_id=sprint_id, progress_percentage__lt=100).update(
        status=TaskStatus.UNASSIGNED, sprint=None
    )
    Task.objects.filter(sprint_id=sprint_id).exclude(status=TaskStatus.COMPLETED).update(
        status=TaskStatus.COMPLETED
    )
    status = (
        SprintStatus.COMPLETED
        if len(completed) == len(tasks)
        else SprintStatus.CLOSED_WITH_PENDING_TASKS
    )
    now = timezone.now()
    Sprint.objects.filter(pk=sprint_id).update(
        status=status, closed_at=now, task_count=len(tasks), completed_count=len(completed)
    )
    _write_retrospective(
        sprint_id,
        total=len(tasks),
        completed=len(completed),
        in_progress=in_progress,
        not_started=not_started,
    )
    DailyScrumSchedule.objects.filter(sprint_id=sprint_id, is_active=True).update(
        is_active=False, deactivated_at=now, deactivation_reason=DeactivationReason.SPRINT_CLOSED
    )
    refresh_history_features(project.pk, team_size=team_size)
    return ClosedSprint(
        sprint_id=sprint_id, status=status, total=len(tasks), completed=len(completed)
    )


def _write_retrospective(
    sprint_id: str, *, total: int, completed: int, in_progress: int, not_started: int
) -> None:
    content = describe_retrospective(
        total=total, completed=completed, in_progress=in_progress, not_started=not_started
    )
    retrospective = SprintRetrospective.objects.create(
        sprint_id=sprint_id,
        what_went_well=content.what_went_well,
        what_could_be_improved=content.what_could_be_improved,
        tasks_summary=content.tasks_summary,
        completion_rate=content.completion_rate,
    )
    RetrospectiveActionItem.objects.bulk_create(
        RetrospectiveActionItem(retrospective=retrospective, description=text)
        for text in content.action_items
    )


def refresh_history_features(project_id: str, *, team_size: int | None = None) -> None:
    """Recompute one project's history features from its closed sprints (an upsert).

    ``team_size`` None counts the project's team here.
    """
    if team_size is None:
        team_size = len(selectors.team_member_ids(project_id))
    features = patterns.compute_features(
        project_id=project_id, team_size=team_size, outcomes=selectors.sprint_outcomes(project_id)
    )
    if features is None:
        return
    ProjectHistoryFeatures.objects.bulk_create(
        [ProjectHistoryFeatures(**asdict(features))],
        update_conflicts=True,
        unique_fields=["project"],
        update_fields=[*(f for f in HISTORY_FEATURE_FIELDS if f != "project_id"), "updated_at"],
    )


def open_sprint(
    *,
    project: Project,
    number: int,
    duration_weeks: int,
    tasks_to_assign: int,
    decision_source: DecisionMode,
    cron_schedule: str | None,
    today: date,
    sprint_id: str | None = None,
    team: Sequence[str] | None = None,
) -> OpenedSprint:
    """Open sprint ``number`` and assign the ``tasks_to_assign`` oldest unassigned tasks.

    Each task keeps its assignee or gets the next member of ``team``, round-robin by id.
    ``cron_schedule`` None opens the sprint without a daily-scrum schedule.
    Orchestration passes the ``sprint_id`` its decision named and the ``team`` it read
    under the project lock; a caller without them leaves them out and they are derived
    here (the id from ``number``, the team with one more query).
    """
    if sprint_id is None:
        sprint_id = sprint_identifier(project.pk, number)
    sprint = Sprint.objects.create(
        sprint_id=sprint_id,
        project=project,
        number=number,
        sprint_name=sprint_id,
        start_date=today,
        end_date=today + timedelta(weeks=duration_weeks, days=-1),
        duration_weeks=duration_weeks,
        decision_source=decision_source,
    )
    Project.objects.filter(pk=project.pk).update(
        sprint_count=number, status=ProjectStatus.IN_PROGRESS, updated_at=timezone.now()
    )
    assigned = _assign_tasks(project, sprint, tasks_to_assign, team=team)
    name = create_schedule(sprint, cron_schedule) if cron_schedule is not None else None
    return OpenedSprint(sprint_id=sprint_id, assigned_task_ids=assigned, schedule_name=name)


def _assign_tasks(
    project: Project, sprint: Sprint, count: int, *, team: Sequence[str] | None
) -> tuple[str, ...]:
    if count == 0:
        return ()
    tasks = list(
        Task.objects.unassigned()
        .filter(project=project)
        .order_by("created_at", "task_id")
        .select_for_update()[:count]
    )
    if team is None:
        team = selectors.team_member_ids(project.pk)
    members = cycle(team or [None])
    now = timezone.now()
    for task in tasks:
        task.updated_at = now
        task.sprint = sprint
        task.status = TaskStatus.ASSIGNED_TO_SPRINT
        if task.assigned_to_id is None:
            task.assigned_to_id = next(members)
    Task.objects.bulk_update(tasks, ["sprint", "status", "assigned_to", "updated_at"])
    return tuple(task.task_id for task in tasks)


def create_schedule(sprint: Sprint, cron_schedule: str) -> str:
    """Create or re-activate the sprint's daily-scrum schedule; return its name."""
    name = schedule_name(sprint.project_id, sprint.sprint_id)
    DailyScrumSchedule.objects.update_or_create(
        name=name,
        defaults={
            "project_id": sprint.project_id,
            "sprint": sprint,
            "cron_schedule": cron_schedule,
            "is_active": True,
            "deactivated_at": None,
            "deactivation_reason": "",
        },
    )
    return name


def deactivate_schedule(*, project_id: str, name: str) -> bool:
    """Deactivate a schedule; False when the project has no schedule of that name."""
    schedules = DailyScrumSchedule.objects.filter(project_id=project_id, name=name)
    if schedules.filter(is_active=True).update(
        is_active=False,
        deactivated_at=timezone.now(),
        deactivation_reason=DeactivationReason.OPERATOR,
    ):
        return True
    return schedules.exists()
