"""Closing and opening sprints, their schedules and the history they leave behind.

Every function here must run inside ``transaction.atomic`` with the project row
locked (``selectors.get_project(..., lock=True)``); each issues a fixed number of
statements however many tasks a sprint holds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from django.utils import timezone

from .. import selectors
from ..engine import patterns
from ..engine.assignment import next_assignee
from ..engine.availability import member_working_days
from ..engine.retrospective import describe_retrospective
from ..engine.rules import sprint_identifier
from ..engine.schedule import schedule_name
from ..engine.values import HISTORY_FEATURE_FIELDS, Calendar, DecisionMode
from ..models import (
    ActionItemStatus,
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
    derive_task_status,
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
    # Completed tasks stay with the sprint, the others go back to the backlog; each gets
    # the status derive_task_status gives it there (one UPDATE per resulting status).
    after: dict[tuple[TaskStatus, bool], list[str]] = defaultdict(list)
    for task_id, _, progress in tasks:
        stays = progress >= 100
        task_status = derive_task_status(progress_percentage=progress, in_sprint=stays)
        after[task_status, stays].append(task_id)
    for (task_status, stays), task_ids in after.items():
        changes: dict[str, object] = {"status": task_status}
        if not stays:
            changes["sprint"] = None
        Task.objects.filter(pk__in=task_ids).update(**changes)
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
        project_id=project.pk,
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
    sprint_id: str,
    *,
    project_id: str,
    total: int,
    completed: int,
    in_progress: int,
    not_started: int,
) -> None:
    earlier_open = RetrospectiveActionItem.objects.filter(
        retrospective__sprint__project_id=project_id, status=ActionItemStatus.OPEN
    ).count()
    content = describe_retrospective(
        total=total,
        completed=completed,
        in_progress=in_progress,
        not_started=not_started,
        earlier_open=earlier_open,
    )
    retrospective = SprintRetrospective.objects.create(
        sprint_id=sprint_id,
        what_went_well=content.what_went_well,
        what_could_be_improved=content.what_could_be_improved,
        tasks_summary=content.tasks_summary,
        completion_rate=content.completion_rate,
        earlier_open_action_items=earlier_open,
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
    calendar: Calendar | None = None,
) -> OpenedSprint:
    """Open sprint ``number`` and assign the ``tasks_to_assign`` oldest unassigned tasks
    (docs/design.md §3.3, "Assignment").

    ``cron_schedule`` None opens the sprint without a daily-scrum schedule.
    Orchestration passes the ``sprint_id`` its decision named, and the ``team`` and
    ``calendar`` (holidays and PTO covering the sprint) it read under the project lock; a
    caller without them leaves them out and they are derived here.
    """
    if sprint_id is None:
        sprint_id = sprint_identifier(project.pk, number)
    end = today + timedelta(weeks=duration_weeks, days=-1)
    sprint = Sprint.objects.create(
        sprint_id=sprint_id,
        project=project,
        number=number,
        sprint_name=sprint_id,
        start_date=today,
        end_date=end,
        duration_weeks=duration_weeks,
        decision_source=decision_source,
    )
    Project.objects.filter(pk=project.pk).update(
        sprint_count=number, status=ProjectStatus.IN_PROGRESS, updated_at=timezone.now()
    )
    if team is None:
        team = selectors.team_member_ids(project.pk)
    if calendar is None:
        calendar = selectors.team_calendar(team, start=today, end=end)
    available = member_working_days(calendar, team, start=today, end=end)
    assigned, last = _assign_tasks(project, sprint, tasks_to_assign, team=team, available=available)
    if last != project.last_assigned_member:
        Project.objects.filter(pk=project.pk).update(last_assigned_member=last)
    name = create_schedule(sprint, cron_schedule) if cron_schedule is not None else None
    return OpenedSprint(sprint_id=sprint_id, assigned_task_ids=assigned, schedule_name=name)


def _assign_tasks(
    project: Project,
    sprint: Sprint,
    count: int,
    *,
    team: Sequence[str],
    available: Mapping[str, int],
) -> tuple[tuple[str, ...], str]:
    """Take the ``count`` oldest unassigned tasks; return their ids and the rotation's
    new last member."""
    last = project.last_assigned_member
    if count == 0:
        return (), last
    tasks = list(
        Task.objects.unassigned()
        .filter(project=project)
        .order_by("created_at", "task_id")
        .select_for_update()[:count]
    )
    eligible = sorted(m for m in team if available.get(m, 0) > 0)
    load = Counter(t.assigned_to_id for t in tasks if t.assigned_to_id in eligible)
    now = timezone.now()
    for task in tasks:
        task.updated_at = now
        task.sprint = sprint
        # A carried-over task keeps its progress, so it may be in progress already.
        task.status = derive_task_status(
            progress_percentage=task.progress_percentage, in_sprint=True
        )
        if task.assigned_to_id in eligible:
            continue
        if eligible:
            task.assigned_to_id = last = next_assignee(eligible, load, last=last)
            load[last] += 1
        elif task.assigned_to_id not in team:
            task.assigned_to_id = None  # who left the project no longer holds its tasks
    Task.objects.bulk_update(tasks, ["sprint", "status", "assigned_to", "updated_at"])
    return tuple(task.task_id for task in tasks), last


def create_schedule(sprint: Sprint, cron_schedule: str) -> str:
    """Create or re-activate the sprint's daily-scrum schedule; return its name.

    The row is keyed by the sprint (one schedule per sprint), never by the name.
    """
    name = schedule_name(sprint.project_id, sprint.sprint_id)
    DailyScrumSchedule.objects.update_or_create(
        sprint=sprint,
        defaults={
            "name": name,
            "project_id": sprint.project_id,
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
