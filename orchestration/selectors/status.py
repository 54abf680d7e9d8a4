"""Reads behind the status and intelligence endpoints: overview, schedules, audit trail
and decision impact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Aggregate, Avg, Count, FloatField, Q, QuerySet, Value
from django.db.models.functions import Cast, NullIf

from ..engine.values import DecisionMode, TaskSummary
from ..exceptions import ProjectNotFoundError
from ..models import (
    DailyScrumSchedule,
    DecisionAudit,
    Project,
    ProjectMembership,
    Sprint,
    SprintStatus,
    Task,
    TaskStatus,
)
from .schedules import next_run_at
from .state import CLOSED_SPRINT_STATUSES, get_project


@dataclass(frozen=True)
class SprintSummary:
    """A project's newest sprint: the open one, or the last closed one when none is open."""

    sprint_id: str
    sprint_name: str
    status: SprintStatus
    start_date: date
    end_date: date
    duration_weeks: int
    tasks: TaskSummary


@dataclass(frozen=True)
class BacklogCounts:
    total: int
    unassigned: int
    assigned_to_sprint: int
    in_progress: int
    completed: int


@dataclass(frozen=True)
class ScheduleState:
    name: str
    project_id: str
    sprint_id: str
    cron_schedule: str
    is_active: bool
    created_at: datetime
    deactivated_at: datetime | None
    deactivation_reason: str
    last_run_at: datetime | None
    next_run_at: datetime | None


@dataclass(frozen=True)
class ProjectOverview:
    """What the status endpoint shows, apart from the pattern insights."""

    project_id: str
    name: str
    status: str
    team_size: int
    current_sprint: SprintSummary | None
    backlog: BacklogCounts
    schedules: tuple[ScheduleState, ...]
    active_schedules: int
    total_schedules: int


STATUS_SCHEDULE_LIMIT = 20


def project_team_size(project_id: str) -> int:
    """The number of members of the project, or ProjectNotFoundError. One query."""
    size = (
        Project.objects.filter(pk=project_id)
        .annotate(size=Count("memberships"))
        .values_list("size", flat=True)
        .first()
    )
    if size is None:
        raise ProjectNotFoundError(project_id)
    return int(size)


def project_overview(project_id: str) -> ProjectOverview:
    """The project, its team size, newest sprint, backlog counts and schedules. <= 7 queries."""
    project = get_project(project_id)
    counts = DailyScrumSchedule.objects.filter(project_id=project_id).aggregate(
        total=Count("pk"), active=Count("pk", filter=Q(is_active=True))
    )
    return ProjectOverview(
        project_id=project.pk,
        name=project.name,
        status=project.status,
        team_size=ProjectMembership.objects.filter(project_id=project_id).count(),
        current_sprint=current_sprint(project_id),
        backlog=backlog_counts(project_id),
        schedules=project_schedules(project_id, limit=STATUS_SCHEDULE_LIMIT),
        active_schedules=counts["active"],
        total_schedules=counts["total"],
    )


def current_sprint(project_id: str) -> SprintSummary | None:
    """The newest sprint, with live task counts when open and the closing snapshot otherwise.

    Sprints only open when none is in progress, so the newest one is the open one if any.
    """
    sprint = Sprint.objects.filter(project_id=project_id).order_by("-number").first()
    if sprint is None:
        return None
    if sprint.status == SprintStatus.IN_PROGRESS:
        live = Task.objects.filter(sprint=sprint).aggregate(
            total=Count("pk"), completed=Count("pk", filter=Q(progress_percentage__gte=100))
        )
        tasks = TaskSummary(total=live["total"], completed=live["completed"])
    else:
        tasks = TaskSummary(total=sprint.task_count or 0, completed=sprint.completed_count or 0)
    return SprintSummary(
        sprint_id=sprint.sprint_id,
        sprint_name=sprint.sprint_name,
        status=SprintStatus(sprint.status),
        start_date=sprint.start_date,
        end_date=sprint.end_date,
        duration_weeks=sprint.duration_weeks,
        tasks=tasks,
    )


def backlog_counts(project_id: str) -> BacklogCounts:
    """The project's tasks counted by status, in one aggregate query."""
    counts = Task.objects.filter(project_id=project_id).aggregate(
        total=Count("pk"),
        **{status.value: Count("pk", filter=Q(status=status)) for status in TaskStatus},
    )
    return BacklogCounts(**counts)


def _schedule_state(schedule: DailyScrumSchedule) -> ScheduleState:
    return ScheduleState(
        name=schedule.name,
        project_id=schedule.project_id,
        sprint_id=schedule.sprint_id,
        cron_schedule=schedule.cron_schedule,
        is_active=schedule.is_active,
        created_at=schedule.created_at,
        deactivated_at=schedule.deactivated_at,
        deactivation_reason=schedule.deactivation_reason,
        last_run_at=schedule.last_run_at,
        next_run_at=next_run_at(schedule),
    )


def project_schedules(project_id: str, *, limit: int) -> tuple[ScheduleState, ...]:
    """Up to ``limit`` of the project's schedules: active ones first, then the newest."""
    rows = (
        DailyScrumSchedule.objects.filter(project_id=project_id)
        .select_related("project")
        .order_by("-is_active", "-created_at", "name")[:limit]
    )
    return tuple(_schedule_state(row) for row in rows)


def project_schedule(project_id: str, name: str) -> ScheduleState | None:
    row = (
        DailyScrumSchedule.objects.filter(project_id=project_id, name=name)
        .select_related("project")
        .first()
    )
    return _schedule_state(row) if row is not None else None


def decision_audits(project_id: str, *, dry_run: bool | None = None) -> QuerySet[DecisionAudit]:
    """The project's audit trail, newest first; ProjectNotFoundError for an unknown project."""
    get_project(project_id)
    audits = DecisionAudit.objects.filter(project_id=project_id).order_by("-created_at", "-id")
    if dry_run is not None:
        audits = audits.filter(dry_run=dry_run)
    return audits


@dataclass(frozen=True)
class ImpactGroup:
    """Closed sprints opened by one kind of decision. Means are None without sprints."""

    sprints: int
    mean_completion_rate: float | None
    mean_velocity: float | None


@dataclass(frozen=True)
class DecisionImpact:
    project_id: str
    start_date: date | None
    end_date: date | None
    intelligence_enhanced: ImpactGroup
    rule_based_only: ImpactGroup

    @property
    def completion_rate_difference(self) -> float | None:
        return _difference(
            self.intelligence_enhanced.mean_completion_rate,
            self.rule_based_only.mean_completion_rate,
        )

    @property
    def velocity_difference(self) -> float | None:
        return _difference(
            self.intelligence_enhanced.mean_velocity, self.rule_based_only.mean_velocity
        )


def _difference(enhanced: float | None, rule_based: float | None) -> float | None:
    if enhanced is None or rule_based is None:
        return None
    return round(enhanced - rule_based, 4)


def decision_impact(project_id: str, *, start: date | None, end: date | None) -> DecisionImpact:
    """Closed sprints whose start_date lies in [start, end], grouped by Sprint.decision_source.

    Completion rate is the mean over sprints of completed_count / task_count; velocity is
    the mean completed_count. Sprints without tasks are left out of everything (no rate,
    no velocity, not counted: docs/design.md §4). Two queries whatever the history size.
    """
    get_project(project_id)
    sprints = Sprint.objects.filter(
        project_id=project_id, status__in=CLOSED_SPRINT_STATUSES, task_count__gt=0
    )
    if start is not None:
        sprints = sprints.filter(start_date__gte=start)
    if end is not None:
        sprints = sprints.filter(start_date__lte=end)
    rate = Cast("completed_count", FloatField()) / NullIf(
        Cast("task_count", FloatField()), Value(0.0)
    )
    aggregates: dict[str, Aggregate] = {}
    for mode in DecisionMode:
        mine = Q(decision_source=mode.value)
        aggregates[f"{mode.value}__sprints"] = Count("pk", filter=mine)
        aggregates[f"{mode.value}__rate"] = Avg(rate, filter=mine)
        aggregates[f"{mode.value}__velocity"] = Avg("completed_count", filter=mine)
    row = sprints.aggregate(**aggregates)

    def group(mode: DecisionMode) -> ImpactGroup:
        mean_rate, velocity = row[f"{mode.value}__rate"], row[f"{mode.value}__velocity"]
        return ImpactGroup(
            sprints=row[f"{mode.value}__sprints"],
            mean_completion_rate=round(mean_rate, 4) if mean_rate is not None else None,
            mean_velocity=round(velocity, 4) if velocity is not None else None,
        )

    return DecisionImpact(
        project_id=project_id,
        start_date=start,
        end_date=end,
        intelligence_enhanced=group(DecisionMode.INTELLIGENCE_ENHANCED),
        rule_based_only=group(DecisionMode.RULE_BASED_ONLY),
    )
