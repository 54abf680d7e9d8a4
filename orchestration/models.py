"""The orchestration domain (docs/design.md §2).

Projects, employees, tasks and sprints are keyed by their human-readable ids,
because the API uses them.
"""

from __future__ import annotations

from functools import cache
from typing import Self, TypeVar
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .engine.values import DecisionMode

identifier_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    "Use letters, digits, '-', '_' and '.', starting with a letter or digit.",
)
IDENTIFIER_LENGTH = 64

# The custom QuerySets below are generic so that django-stubs keeps the attributes that
# annotate() adds (a QuerySet bound to one model loses them).
_M = TypeVar("_M", bound=models.Model, covariant=True)


class ProjectStatus(models.TextChoices):
    INACTIVE = "inactive"
    IN_PROGRESS = "in_progress"


class Weekday(models.TextChoices):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


@cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    """An IANA time zone name this system knows (``Europe/Berlin``, ``UTC``); a set
    lookup, so no name ever reaches the file system."""
    if value not in _time_zone_names():
        raise ValidationError(f"{value!r} is not an IANA time zone name.")


class Project(models.Model):
    project_id = models.CharField(
        primary_key=True, max_length=IDENTIFIER_LENGTH, validators=[identifier_validator]
    )
    name = models.CharField(max_length=200)
    codename = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.INACTIVE
    )
    # Sprints ever opened; the next sprint is number sprint_count + 1.
    sprint_count = models.PositiveIntegerField(default=0)
    # The assignment rotation (docs/design.md §3.3): ties go to the first member after
    # this employee id. Not a foreign key: the rotation outlives members who leave.
    last_assigned_member = models.CharField(
        max_length=IDENTIFIER_LENGTH, blank=True, default="", db_default=""
    )
    # The project's cadence (docs/design.md §3.1, "Project cadence").
    time_zone = models.CharField(
        max_length=64, default="UTC", db_default="UTC", validators=[validate_time_zone]
    )
    # Blank: a sprint starts on the day it is opened.
    sprint_start_weekday = models.CharField(
        max_length=9, choices=Weekday.choices, blank=True, default="", db_default=""
    )
    default_sprint_duration_weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    default_max_tasks_per_sprint = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project_id"]

    def __str__(self) -> str:
        return self.project_id


class Employee(models.Model):
    employee_id = models.CharField(
        primary_key=True, max_length=IDENTIFIER_LENGTH, validators=[identifier_validator]
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employee_id"]

    def __str__(self) -> str:
        return f"{self.employee_id} ({self.name})"


class ProjectMembership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "employee_id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "employee"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} in {self.project_id}"


class HolidayType(models.TextChoices):
    PUBLIC = "public"
    COMPANY = "company"
    OPTIONAL = "optional"


class Holiday(models.Model):
    date = models.DateField()
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=HolidayType.choices, default=HolidayType.PUBLIC)

    class Meta:
        ordering = ["date", "name"]
        constraints = [
            models.UniqueConstraint(fields=["date", "name"], name="unique_holiday_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class PTO(models.Model):
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="pto")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "PTO"
        verbose_name_plural = "PTO"
        ordering = ["start_date", "employee_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="pto_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["employee", "end_date"], name="pto_employee_end")]

    def __str__(self) -> str:
        return f"{self.employee_id}: {self.start_date}..{self.end_date}"


class TaskStatus(models.TextChoices):
    UNASSIGNED = "unassigned"
    ASSIGNED_TO_SPRINT = "assigned_to_sprint"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


def derive_task_status(*, progress_percentage: int, in_sprint: bool) -> TaskStatus:
    """A task's status follows from its progress and whether a sprint holds it
    (docs/design.md §2, "Task status"). The one owner of the rule: every writer of
    ``Task.status`` calls it."""
    if progress_percentage >= 100:
        return TaskStatus.COMPLETED
    if not in_sprint:
        return TaskStatus.UNASSIGNED
    if progress_percentage > 0:
        return TaskStatus.IN_PROGRESS
    return TaskStatus.ASSIGNED_TO_SPRINT


# The condition of TaskQuerySet.unassigned(), also for aggregates that count it among others.
UNASSIGNED_TASK = Q(status=TaskStatus.UNASSIGNED, sprint__isnull=True)


class TaskQuerySet(models.QuerySet[_M]):
    def unassigned(self) -> Self:
        """Tasks waiting in the backlog for a sprint: status ``unassigned`` and held by no
        sprint, whether or not someone is already assigned to them."""
        return self.filter(UNASSIGNED_TASK)


class Task(models.Model):
    task_id = models.CharField(
        primary_key=True, max_length=IDENTIFIER_LENGTH, validators=[identifier_validator]
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=TaskStatus.choices, default=TaskStatus.UNASSIGNED
    )
    assigned_to = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    sprint = models.ForeignKey(
        "Sprint", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    progress_percentage = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "task_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_percentage__gte=0, progress_percentage__lte=100),
                name="task_progress_0_100",
            ),
        ]
        indexes = [
            # Backlog counts and "oldest unassigned first" of the analysis.
            models.Index(fields=["project", "status", "created_at"], name="task_backlog"),
        ]

    def __str__(self) -> str:
        return self.task_id

    @property
    def is_completed(self) -> bool:
        return self.progress_percentage >= 100


class SprintStatus(models.TextChoices):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CLOSED_WITH_PENDING_TASKS = "closed_with_pending_tasks"


class SprintQuerySet(models.QuerySet[_M]):
    def in_progress(self) -> Self:
        """Open sprints; the database allows at most one per project."""
        return self.filter(status=SprintStatus.IN_PROGRESS)


class Sprint(models.Model):
    sprint_id = models.CharField(max_length=IDENTIFIER_LENGTH + 8, primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sprints")
    number = models.PositiveIntegerField()
    sprint_name = models.CharField(max_length=IDENTIFIER_LENGTH + 8)
    start_date = models.DateField()
    end_date = models.DateField()
    duration_weeks = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=30, choices=SprintStatus.choices, default=SprintStatus.IN_PROGRESS
    )
    # Which kind of decision opened the sprint: decision-impact compares the two.
    decision_source = models.CharField(
        max_length=30,
        choices=[(m.value, m.value) for m in DecisionMode],
        default=DecisionMode.RULE_BASED_ONLY.value,
    )
    # Filled at closing from the task snapshot, so history reads need no join.
    task_count = models.PositiveIntegerField(null=True, blank=True)
    completed_count = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = SprintQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status="in_progress"),
                name="one_active_sprint_per_project",
            ),
            models.UniqueConstraint(fields=["project", "number"], name="unique_sprint_number"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="sprint_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(completed_count__lte=F("task_count")),
                name="sprint_completed_within_tasks",
            ),
        ]

    def __str__(self) -> str:
        return self.sprint_id

    @property
    def completion_rate(self) -> float | None:
        if not self.task_count or self.completed_count is None:
            return None
        return self.completed_count / self.task_count


class SprintTaskSnapshot(models.Model):
    """Which tasks a sprint held when it closed and how far each got."""

    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="task_snapshots")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    assigned_to = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    progress_percentage = models.PositiveSmallIntegerField()
    completed = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sprint", "task"], name="unique_snapshot_task"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} in {self.sprint_id}: {self.progress_percentage}%"


class DailyScrumReport(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="daily_reports")
    report_date = models.DateField()
    summary = models.TextField()
    metrics = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-report_date", "-id"]
        indexes = [models.Index(fields=["sprint", "report_date"], name="report_sprint_date")]

    def __str__(self) -> str:
        return f"Daily scrum of {self.sprint_id} on {self.report_date}"


class DailyScrumEntry(models.Model):
    report = models.ForeignKey(DailyScrumReport, on_delete=models.CASCADE, related_name="entries")
    employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    yesterday_work = models.TextField()
    today_work = models.TextField()
    impediments = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "daily scrum entries"

    def __str__(self) -> str:
        return f"{self.employee_id or 'unassigned'} on {self.task_id}"


class SprintRetrospective(models.Model):
    sprint = models.OneToOneField(Sprint, on_delete=models.CASCADE, related_name="retrospective")
    what_went_well = models.TextField()
    what_could_be_improved = models.TextField()
    tasks_summary = models.JSONField(default=dict)
    completion_rate = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    # Action items of the project's earlier retrospectives still open when this one was
    # written (docs/design.md §3.3).
    earlier_open_action_items = models.PositiveIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Retrospective of {self.sprint_id}"


class ActionItemStatus(models.TextChoices):
    OPEN = "open"
    DONE = "done"


class RetrospectiveActionItem(models.Model):
    retrospective = models.ForeignKey(
        SprintRetrospective, on_delete=models.CASCADE, related_name="action_items"
    )
    description = models.TextField()
    status = models.CharField(
        max_length=10, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )

    def __str__(self) -> str:
        return self.description


class DeactivationReason(models.TextChoices):
    """Why a schedule stopped: self-heal re-creates neither (docs/design.md §3.3)."""

    SPRINT_CLOSED = "sprint_closed"
    OPERATOR = "operator"


class DailyScrumSchedule(models.Model):
    """A sprint's daily scrum, fired by the workers' periodic task (docs/design.md §6)."""

    name = models.CharField(max_length=52, unique=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="schedules")
    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="schedules")
    cron_schedule = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # db_default: rows bulk-loaded without the column (seed_demo's COPY) are active ones.
    deactivation_reason = models.CharField(
        max_length=20, choices=DeactivationReason.choices, blank=True, db_default=""
    )
    # When its daily-scrum job last ran; the next fire time is the first after it.
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Rows are keyed by their sprint (docs/design.md §2, "Schedule names").
            models.UniqueConstraint(fields=["sprint"], name="one_schedule_per_sprint"),
        ]

    def __str__(self) -> str:
        return self.name


class DecisionModeConfig(models.Model):
    """A project's own decision configuration; projects without one use the settings."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="decision_config"
    )
    mode = models.CharField(max_length=30, choices=[(m.value, m.value) for m in DecisionMode])
    confidence_threshold = models.FloatField(
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    enable_task_count_adjustment = models.BooleanField()
    enable_sprint_duration_adjustment = models.BooleanField()
    min_similar_projects = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    max_task_adjustment_percent = models.FloatField(
        validators=[MinValueValidator(0.0), MaxValueValidator(100.0)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence_threshold__gte=0, confidence_threshold__lte=1),
                name="decision_threshold_0_1",
            ),
            models.CheckConstraint(
                condition=Q(
                    max_task_adjustment_percent__gte=0, max_task_adjustment_percent__lte=100
                ),
                name="decision_max_adjustment_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.mode}"


class DecisionAudit(models.Model):
    """One per orchestration run that produced a decision."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="decision_audits")
    # Soft link: performance runs are pruned by retention, audits are kept.
    run_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    dry_run = models.BooleanField(default=False)
    decision_source = models.CharField(
        max_length=30, choices=[(m.value, m.value) for m in DecisionMode]
    )
    base_decision = models.JSONField()
    proposed_adjustments = models.JSONField(default=list)
    applied_adjustments = models.JSONField(default=list)
    final_decision = models.JSONField()
    reasoning = models.TextField()
    sprint_opened = models.ForeignKey(
        Sprint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The audit trail endpoint: one project's audits, newest first.
            models.Index(fields=["project", "-created_at"], name="audit_project_recent"),
        ]

    def __str__(self) -> str:
        return f"Decision for {self.project_id} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class SprintControlAction(models.TextChoices):
    CLOSE = "close"
    EXTEND = "extend"


class SprintControlAudit(models.Model):
    """A manual close or extension of a sprint (docs/design.md §3.7, "Sprint controls")."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="control_audits")
    action = models.CharField(max_length=10, choices=SprintControlAction.choices)
    reason = models.CharField(max_length=500, blank=True)
    previous_end_date = models.DateField()
    new_end_date = models.DateField()
    requested_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.sprint_id}"


class ProjectHistoryFeatures(models.Model):
    """Per-project history features (docs/design.md §4), refreshed whenever a sprint closes.

    Similarity compares one row per project instead of every project's sprints. Each
    worker keeps all rows in memory and refreshes only the rows changed since it last
    looked: ``changed_xid`` (set by a database trigger on every insert and update, so
    COPY and bulk updates are covered too) is the id of the transaction that last wrote
    the row, and deletions leave a ``HistoryFeaturesRemoval`` behind.
    """

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="history_features"
    )
    team_size = models.PositiveIntegerField()
    closed_sprints = models.PositiveIntegerField()
    mean_tasks_per_sprint = models.FloatField()
    mean_completion_rate = models.FloatField()
    mean_duration_weeks = models.FloatField()
    mean_velocity = models.FloatField()
    optimal_task_count = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)
    # Never written by Django: the trigger of migration 0003 overwrites whatever is sent.
    changed_xid = models.BigIntegerField(db_default=0, editable=False, db_index=True)

    class Meta:
        verbose_name_plural = "project history features"

    def __str__(self) -> str:
        return f"History of {self.project_id} ({self.closed_sprints} sprints)"


class HistoryFeaturesRemoval(models.Model):
    """A deleted row of ``ProjectHistoryFeatures``, written by a database trigger, so the
    workers' caches drop it. An empty ``project_id`` records a TRUNCATE (every row)."""

    project_id = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True)
    removed_xid = models.BigIntegerField(db_default=0, editable=False, db_index=True)

    def __str__(self) -> str:
        return f"{self.project_id or 'every project'} removed in transaction {self.removed_xid}"


class PerftestBaseline(models.Model):
    """A saved ``perftest`` report (``--save-baseline NAME``) later runs compare against
    (``--compare NAME``)."""

    name = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    report = models.JSONField(help_text="The report as written by perftest --json.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"perftest baseline {self.name}"


class PerftestRun(models.Model):
    """One finished ``perftest`` test run, kept so runs can be compared over time
    (docs/design.md §5, "History"). Written once by the command, never changed.

    ``options_key`` is the SHA-256 of ``options`` (the settings that shape the
    measurements), so "the newest passing run with the same options" is one indexed
    lookup. ``comparison_passed`` is None when the run compared with nothing.
    """

    label = models.CharField(max_length=64, unique=True)
    project_id = models.CharField(max_length=IDENTIFIER_LENGTH)
    release = models.CharField(max_length=128)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    options = models.JSONField()
    options_key = models.CharField(max_length=64)
    passed = models.BooleanField()
    compared_with = models.CharField(max_length=128, blank=True)
    comparison_passed = models.BooleanField(null=True)
    report = models.JSONField(help_text="The report as written by perftest --json.")

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(
                fields=["project_id", "options_key", "passed", "-started_at"],
                name="perftest_run_same_options",
            ),
            models.Index(fields=["project_id", "-started_at"], name="perftest_run_project_latest"),
        ]

    def __str__(self) -> str:
        return f"perftest {self.label} ({'passed' if self.passed else 'failed'})"


class IdempotentRequest(models.Model):
    """A ``POST /orchestrate/project/{id}`` made with an ``Idempotency-Key`` and the answer
    it got, replayed for the same key and request for 24 hours (docs/design.md §3.1)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request.")
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    location = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"Idempotency-Key {self.key}"


class JobOutcome(models.Model):
    """What a background job did, beside procrastinate's own job row (which has the
    status): the run and response body of an orchestration job, or the error a job
    failed with (docs/design.md §6, "Background work")."""

    job_id = models.BigIntegerField(primary_key=True)
    task_name = models.CharField(max_length=128)
    project_id = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True)
    run_id = models.BigIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-job_id"]

    def __str__(self) -> str:
        return f"{self.task_name} job {self.job_id}"
