"""Reads of the orchestration domain. Every function issues a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Aggregate, Avg, Count, FloatField, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, NullIf

from .engine.values import (
    ActiveSprint,
    Conflict,
    ConflictType,
    DecisionConfig,
    DecisionMode,
    HistoryFeatures,
    ProjectState,
    SprintOutcome,
    TaskSummary,
)
from .exceptions import NotFoundError, ProjectNotFoundError
from .models import (
    PTO,
    DailyScrumSchedule,
    DecisionAudit,
    DecisionModeConfig,
    Employee,
    Holiday,
    Project,
    ProjectHistoryFeatures,
    ProjectMembership,
    Sprint,
    SprintRetrospective,
    SprintStatus,
    SprintTaskSnapshot,
    Task,
    TaskStatus,
)

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


def sprint_window(today: date, duration_weeks: int) -> tuple[date, date]:
    """The availability window of a sprint starting today: [today, today + duration]."""
    return today, today + timedelta(weeks=duration_weeks)


def team_member_ids(project_id: str) -> list[str]:
    return list(
        ProjectMembership.objects.filter(project_id=project_id)
        .order_by("employee_id")
        .values_list("employee_id", flat=True)
    )


def project_state(project: Project, *, today: date, duration_weeks: int) -> ProjectState:
    """Backlog counts, the active sprint, team size and availability conflicts."""
    counts = Task.objects.filter(project=project).aggregate(
        total=Count("pk"),
        unassigned=Count("pk", filter=Q(status=TaskStatus.UNASSIGNED, sprint__isnull=True)),
    )
    members = team_member_ids(project.pk)
    start, end = sprint_window(today, duration_weeks)
    return ProjectState(
        project_id=project.pk,
        backlog_tasks=counts["total"],
        unassigned_tasks=counts["unassigned"],
        active_sprint=active_sprint(project.pk),
        team_size=len(members),
        conflicts=availability_conflicts(members, start=start, end=end),
        next_sprint_number=project.sprint_count + 1,
    )


def active_sprint(project_id: str) -> ActiveSprint | None:
    sprint = (
        Sprint.objects.filter(project_id=project_id, status=SprintStatus.IN_PROGRESS)
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


def availability_conflicts(
    member_ids: list[str], *, start: date, end: date
) -> tuple[Conflict, ...]:
    """Holidays inside [start, end] and team PTO overlapping it, ordered by date."""
    conflicts = [
        Conflict(
            type=ConflictType.HOLIDAY,
            date=holiday.date,
            name=holiday.name,
            details=f"{holiday.get_type_display()} holiday",
        )
        for holiday in Holiday.objects.filter(date__range=(start, end))
    ]
    if member_ids:
        pto = PTO.objects.filter(
            employee_id__in=member_ids, start_date__lte=end, end_date__gte=start
        ).select_related("employee")
        conflicts += [
            Conflict(
                type=ConflictType.PTO,
                date=max(p.start_date, start),
                name=p.employee.name,
                details=(
                    f"{p.employee_id} off {p.start_date.isoformat()} to {p.end_date.isoformat()}"
                    + (f": {p.reason}" if p.reason else "")
                ),
            )
            for p in pto
        ]
    return tuple(sorted(conflicts, key=lambda c: (c.date, c.type, c.name)))


def projects_with_active_sprint() -> list[str]:
    """Ids of the projects that have a sprint in progress, in id order."""
    return list(
        Sprint.objects.filter(status=SprintStatus.IN_PROGRESS)
        .order_by("project_id")
        .values_list("project_id", flat=True)
    )


def sprint_outcomes(project_id: str) -> list[SprintOutcome]:
    """The project's closed sprints, oldest first."""
    rows = (
        Sprint.objects.filter(project_id=project_id, status__in=CLOSED_SPRINT_STATUSES)
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
    return SprintRetrospective.objects.filter(sprint__project_id=project_id).count()


def all_history_features() -> list[HistoryFeatures]:
    """Every project's precomputed history features: one row per project with history."""
    rows = ProjectHistoryFeatures.objects.values_list(
        "project_id",
        "team_size",
        "closed_sprints",
        "mean_tasks_per_sprint",
        "mean_completion_rate",
        "mean_duration_weeks",
        "mean_velocity",
        "optimal_task_count",
    )
    return [HistoryFeatures(*row) for row in rows]


def default_decision_config() -> DecisionConfig:
    defaults: dict[str, Any] = settings.ORCHESTRATION
    return DecisionConfig(
        mode=DecisionMode(defaults["DECISION_MODE"]),
        confidence_threshold=float(defaults["CONFIDENCE_THRESHOLD"]),
        enable_task_count_adjustment=bool(defaults["ENABLE_TASK_COUNT_ADJUSTMENT"]),
        enable_sprint_duration_adjustment=bool(defaults["ENABLE_SPRINT_DURATION_ADJUSTMENT"]),
        min_similar_projects=int(defaults["MIN_SIMILAR_PROJECTS"]),
        max_task_adjustment_percent=float(defaults["MAX_TASK_ADJUSTMENT_PERCENT"]),
    )


def decision_config(project_id: str) -> DecisionConfig:
    """The project's own configuration, or the global default from settings."""
    row = DecisionModeConfig.objects.filter(project_id=project_id).first()
    if row is None:
        return default_decision_config()
    return DecisionConfig(
        mode=DecisionMode(row.mode),
        confidence_threshold=row.confidence_threshold,
        enable_task_count_adjustment=row.enable_task_count_adjustment,
        enable_sprint_duration_adjustment=row.enable_sprint_duration_adjustment,
        min_similar_projects=row.min_similar_projects,
        max_task_adjustment_percent=row.max_task_adjustment_percent,
    )


def has_custom_decision_config(project_id: str) -> bool:
    return DecisionModeConfig.objects.filter(project_id=project_id).exists()


# --- status, schedules, decision configuration, audit trail and decision impact ----------


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
    )


def project_schedules(project_id: str, *, limit: int) -> tuple[ScheduleState, ...]:
    """Up to ``limit`` of the project's schedules: active ones first, then the newest."""
    rows = DailyScrumSchedule.objects.filter(project_id=project_id).order_by(
        "-is_active", "-created_at", "name"
    )[:limit]
    return tuple(_schedule_state(row) for row in rows)


def project_schedule(project_id: str, name: str) -> ScheduleState | None:
    row = DailyScrumSchedule.objects.filter(project_id=project_id, name=name).first()
    return _schedule_state(row) if row is not None else None


class DecisionConfigSource(StrEnum):
    PROJECT = "project"
    DEFAULT = "default"


@dataclass(frozen=True)
class ProjectDecisionConfig:
    """The configuration a project's decisions use, and where it comes from."""

    project_id: str
    config: DecisionConfig
    source: DecisionConfigSource
    updated_at: datetime | None


def decision_config_of(row: DecisionModeConfig) -> ProjectDecisionConfig:
    return ProjectDecisionConfig(
        project_id=row.project_id,
        config=DecisionConfig(
            mode=DecisionMode(row.mode),
            confidence_threshold=row.confidence_threshold,
            enable_task_count_adjustment=row.enable_task_count_adjustment,
            enable_sprint_duration_adjustment=row.enable_sprint_duration_adjustment,
            min_similar_projects=row.min_similar_projects,
            max_task_adjustment_percent=row.max_task_adjustment_percent,
        ),
        source=DecisionConfigSource.PROJECT,
        updated_at=row.updated_at,
    )


def project_decision_config(project_id: str) -> ProjectDecisionConfig:
    """The project's own configuration or the settings default; ProjectNotFoundError. One query."""
    project = Project.objects.select_related("decision_config").filter(pk=project_id).first()
    if project is None:
        raise ProjectNotFoundError(project_id)
    try:
        return decision_config_of(project.decision_config)
    except DecisionModeConfig.DoesNotExist:
        return ProjectDecisionConfig(
            project_id=project.pk,
            config=default_decision_config(),
            source=DecisionConfigSource.DEFAULT,
            updated_at=None,
        )


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

    Completion rate is the mean over sprints of completed_count / task_count (sprints
    without tasks have no rate and are left out of that mean); velocity is the mean
    completed_count. Two queries whatever the history size.
    """
    get_project(project_id)
    sprints = Sprint.objects.filter(project_id=project_id, status__in=CLOSED_SPRINT_STATUSES)
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


# --- registry reads (DOMAIN §3.7) -------------------------------------------------------
# List selectors return unevaluated querysets so the API can filter and page them in SQL;
# each list costs one query per page (plus one count), however many rows it shows.


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
    """One sprint with its tasks (and assignees) and its closing snapshot: three queries."""
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
        )
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
