"""Input and output shapes of the registry API (docs/design.md §3.7).

Input serializers only validate (strict types, unknown and read-only keys refused,
referenced rows checked); services write. Output serializers render selector results.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from django.core.validators import validate_email
from django.db.models import TextChoices
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import selectors
from ..models import (
    PTO,
    ActionItemStatus,
    DailyScrumReport,
    Employee,
    Holiday,
    Project,
    ProjectMembership,
    ProjectStatus,
    RetrospectiveActionItem,
    Sprint,
    SprintRetrospective,
    SprintStatus,
    SprintTaskSnapshot,
    Task,
    TaskStatus,
    Weekday,
)
from ..services.registry import NewTask
from .fields import RejectUnknownFieldsMixin, StrictCharField
from .strict import StrictModelSerializer

MAX_TASKS_PER_REQUEST = 500


def _enum_schema(choices: type[TextChoices]) -> dict[str, Any]:
    return {"type": "string", "enum": list(choices.values)}


# Named enum components: three models call their field "status", and the schema would
# otherwise have to invent names for the colliding enums.
@extend_schema_field(_enum_schema(ProjectStatus), component_name="ProjectStatusEnum")
class ProjectStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ProjectStatus.choices, **kwargs)


@extend_schema_field(_enum_schema(TaskStatus), component_name="TaskStatusEnum")
class TaskStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=TaskStatus.choices, **kwargs)


@extend_schema_field(_enum_schema(SprintStatus), component_name="SprintStatusEnum")
class SprintStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=SprintStatus.choices, **kwargs)


def _validate_email(value: str) -> None:
    # Django's validator called from a plain function: for an EmailValidator in the
    # field's validators, drf-spectacular would add a "format: email" that "" breaks.
    validate_email(value)


@extend_schema_field({"type": "string", "anyOf": [{"format": "email"}, {"maxLength": 0}]})
class OptionalEmailField(StrictCharField):
    """An email address, or "" for an employee without one (the schema admits both)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(_validate_email)


# --- projects ------------------------------------------------------------------------


class ProjectSerializer(serializers.ModelSerializer[Project]):
    status = ProjectStatusField(read_only=True)
    sprint_start_weekday = serializers.SerializerMethodField()
    team_size = serializers.IntegerField(read_only=True, help_text="Number of members.")
    sprint_count = serializers.IntegerField(read_only=True, help_text="Sprints ever opened.")

    class Meta:
        model = Project
        fields = [
            "project_id",
            "name",
            "codename",
            "status",
            "team_size",
            "sprint_count",
            "time_zone",
            "sprint_start_weekday",
            "default_sprint_duration_weeks",
            "default_max_tasks_per_sprint",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(
            choices=Weekday.choices,
            allow_null=True,
            help_text="The weekday sprints start on; null: the day a sprint is opened.",
        )
    )
    def get_sprint_start_weekday(self, project: Project) -> str | None:
        return project.sprint_start_weekday or None


class ProjectCreateSerializer(StrictModelSerializer[Project]):
    class Meta:
        model = Project
        fields = ["project_id", "name", "codename"]


class ProjectUpdateSerializer(StrictModelSerializer[Project]):
    """Name and cadence (docs/design.md §3.1, "Project cadence"); null clears a default."""

    sprint_start_weekday = serializers.ChoiceField(
        choices=Weekday.choices,
        allow_null=True,
        required=False,
        help_text="The weekday sprints start on; null: the day a sprint is opened.",
    )

    class Meta:
        model = Project
        fields = [
            "project_id",
            "status",
            "name",
            "codename",
            "time_zone",
            "sprint_start_weekday",
            "default_sprint_duration_weeks",
            "default_max_tasks_per_sprint",
        ]
        read_only_fields = ["project_id", "status"]


# --- employees and members -----------------------------------------------------------


class EmployeeSerializer(serializers.ModelSerializer[Employee]):
    email = OptionalEmailField(read_only=True)

    class Meta:
        model = Employee
        fields = ["employee_id", "name", "email", "created_at"]
        read_only_fields = fields


class EmployeeCreateSerializer(StrictModelSerializer[Employee]):
    email = OptionalEmailField(max_length=254, allow_blank=True, required=False)

    class Meta:
        model = Employee
        fields = ["employee_id", "name", "email"]


class MemberSerializer(serializers.ModelSerializer[ProjectMembership]):
    employee_id = serializers.CharField(read_only=True)
    name = serializers.CharField(source="employee.name", read_only=True)
    email = OptionalEmailField(source="employee.email", read_only=True)

    class Meta:
        model = ProjectMembership
        fields = ["employee_id", "name", "email", "joined_at"]
        read_only_fields = fields


class MemberCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer[Any]):
    employee_id = StrictCharField(max_length=64, help_text="An existing employee.")

    def validate_employee_id(self, value: str) -> str:
        if not selectors.existing_employee_ids([value]):
            raise serializers.ValidationError(f"Employee {value!r} does not exist.")
        return value


# --- tasks ---------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer[Task]):
    status = TaskStatusField(read_only=True)
    project = serializers.CharField(source="project_id", read_only=True)
    assigned_to = serializers.CharField(source="assigned_to_id", read_only=True, allow_null=True)
    assigned_to_name = serializers.CharField(
        source="assigned_to.name", read_only=True, allow_null=True
    )
    sprint = serializers.CharField(source="sprint_id", read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = [
            "task_id",
            "project",
            "title",
            "description",
            "status",
            "assigned_to",
            "assigned_to_name",
            "sprint",
            "progress_percentage",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class _TaskInputSerializer(StrictModelSerializer[Task]):
    """A backlog task's writable fields; the assignee must be a member of the project."""

    # context["team"] holds the member ids of the task's project, loaded once per
    # request, so a list of tasks is checked without a query per task.

    assigned_to = StrictCharField(
        allow_null=True,
        required=False,
        help_text="Employee id of a member of the project; null for nobody.",
    )
    status = serializers.CharField(
        read_only=True, help_text="Derived from progress_percentage and the sprint."
    )
    sprint = serializers.CharField(read_only=True, help_text="Set by orchestration.")

    def validate_assigned_to(self, value: str | None) -> str | None:
        team: Collection[str] = self.context["team"]
        if value is not None and value not in team:
            raise serializers.ValidationError(
                f"Employee {value!r} is not a member of project {self.context['project_id']!r}."
            )
        return value


class _TaskCreateListSerializer(serializers.ListSerializer[Task]):
    def validate(self, attrs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [item["task_id"] for item in attrs]
        repeated = sorted({task_id for task_id in ids if ids.count(task_id) > 1})
        if repeated:
            raise serializers.ValidationError(
                f"Each task_id may appear once; repeated: {', '.join(repeated)}."
            )
        return attrs


class TaskCreateSerializer(_TaskInputSerializer):
    class Meta:
        model = Task
        fields = [
            "task_id",
            "title",
            "description",
            "assigned_to",
            "progress_percentage",
            "status",
            "sprint",
        ]


def parse_new_tasks(
    data: Any, *, project_id: str, team: Collection[str]
) -> tuple[list[NewTask], bool]:
    """Validate one task object or a list of them; returns the tasks and whether a list
    was sent. Raises DRF's ValidationError naming each bad item's fields."""
    many = isinstance(data, list)
    context = {"team": team, "project_id": project_id}
    serializer: serializers.BaseSerializer[Task] = (
        _TaskCreateListSerializer(
            child=TaskCreateSerializer(),
            data=data,
            allow_empty=False,
            max_length=MAX_TASKS_PER_REQUEST,
            context=context,
        )
        if many
        else TaskCreateSerializer(data=data, context=context)
    )
    serializer.is_valid(raise_exception=True)
    items = serializer.validated_data if many else [serializer.validated_data]
    return [NewTask(**item) for item in items], many


class TaskUpdateSerializer(_TaskInputSerializer):
    class Meta:
        model = Task
        fields = [
            "task_id",
            "project",
            "status",
            "sprint",
            "title",
            "description",
            "assigned_to",
            "progress_percentage",
        ]
        read_only_fields = ["task_id", "project"]


# --- sprints -------------------------------------------------------------------------


class SprintSerializer(serializers.ModelSerializer[Sprint]):
    status = SprintStatusField(read_only=True)
    project = serializers.CharField(source="project_id", read_only=True)
    total_tasks = serializers.IntegerField(
        read_only=True, help_text="Tasks held (live for the sprint in progress)."
    )
    completed_tasks = serializers.IntegerField(read_only=True)

    class Meta:
        model = Sprint
        fields = [
            "sprint_id",
            "project",
            "number",
            "sprint_name",
            "status",
            "start_date",
            "end_date",
            "duration_weeks",
            "decision_source",
            "total_tasks",
            "completed_tasks",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields


class SprintSnapshotSerializer(serializers.ModelSerializer[SprintTaskSnapshot]):
    task_id = serializers.CharField(read_only=True)
    assigned_to = serializers.CharField(source="assigned_to_id", read_only=True, allow_null=True)

    class Meta:
        model = SprintTaskSnapshot
        fields = ["task_id", "assigned_to", "progress_percentage", "completed"]
        read_only_fields = fields


class ActionItemSerializer(serializers.ModelSerializer[RetrospectiveActionItem]):
    sprint = serializers.CharField(source="retrospective.sprint_id", read_only=True)

    class Meta:
        model = RetrospectiveActionItem
        fields = ["id", "sprint", "description", "status"]
        read_only_fields = fields


class ActionItemUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ActionItemStatus.choices)


class RetrospectiveSerializer(serializers.ModelSerializer[SprintRetrospective]):
    action_items = ActionItemSerializer(many=True, read_only=True)

    class Meta:
        model = SprintRetrospective
        fields = [
            "what_went_well",
            "what_could_be_improved",
            "completion_rate",
            "tasks_summary",
            "earlier_open_action_items",
            "action_items",
            "created_at",
        ]


class DailyScrumReportSerializer(serializers.ModelSerializer[DailyScrumReport]):
    ran_at = serializers.DateTimeField(source="created_at", help_text="When it ran.")

    class Meta:
        model = DailyScrumReport
        fields = ["id", "report_date", "ran_at", "summary"]
        read_only_fields = fields


class SprintDetailSerializer(SprintSerializer):
    tasks = TaskSerializer(many=True, read_only=True, help_text="Tasks the sprint holds now.")
    closing_snapshot = SprintSnapshotSerializer(
        source="task_snapshots",
        many=True,
        read_only=True,
        help_text="Every task the sprint held when it closed and how far each got; "
        "empty while it is in progress.",
    )
    daily_scrum_reports = DailyScrumReportSerializer(
        source="daily_reports",
        many=True,
        read_only=True,
        help_text="Its daily scrums, oldest first: the day each reported and when it ran.",
    )

    retrospective = serializers.SerializerMethodField()

    class Meta(SprintSerializer.Meta):
        fields = [
            *SprintSerializer.Meta.fields,
            "tasks",
            "closing_snapshot",
            "retrospective",
            "daily_scrum_reports",
        ]
        read_only_fields = fields

    @extend_schema_field(RetrospectiveSerializer(allow_null=True))
    def get_retrospective(self, sprint: Sprint) -> Any:
        """Null while the sprint is in progress (its retrospective is written at closing)."""
        retrospective = getattr(sprint, "retrospective", None)
        return RetrospectiveSerializer(retrospective).data if retrospective else None


# --- calendar ------------------------------------------------------------------------


class HolidaySerializer(serializers.ModelSerializer[Holiday]):
    class Meta:
        model = Holiday
        fields = ["id", "date", "name", "type"]
        read_only_fields = fields


class HolidayCreateSerializer(StrictModelSerializer[Holiday]):
    class Meta:
        model = Holiday
        fields = ["date", "name", "type"]


class PTOSerializer(serializers.ModelSerializer[PTO]):
    employee = serializers.CharField(source="employee_id", read_only=True)
    employee_name = serializers.CharField(source="employee.name", read_only=True)

    class Meta:
        model = PTO
        fields = ["id", "employee", "employee_name", "start_date", "end_date", "reason"]
        read_only_fields = fields


class PTOCreateSerializer(StrictModelSerializer[PTO]):
    employee = StrictCharField(max_length=64, help_text="An existing employee id.")

    class Meta:
        model = PTO
        fields = ["employee", "start_date", "end_date", "reason"]

    def validate_employee(self, value: str) -> str:
        if not selectors.existing_employee_ids([value]):
            raise serializers.ValidationError(f"Employee {value!r} does not exist.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start: date = attrs["start_date"]
        end: date = attrs["end_date"]
        if end < start:
            raise serializers.ValidationError({"end_date": ["Must not be before start_date."]})
        return attrs
