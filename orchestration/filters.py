"""Query-string filters of the registry lists. Invalid values (an unknown status, a
malformed date) are answered 400 by django-filter's DRF backend; ids are matched as given.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import (
    PTO,
    ActionItemStatus,
    Employee,
    Holiday,
    HolidayType,
    Project,
    ProjectStatus,
    RetrospectiveActionItem,
    Sprint,
    SprintStatus,
    Task,
    TaskStatus,
)


def boolean_filter(**kwargs: Any) -> filters.TypedChoiceFilter:
    """``true`` or ``false`` only; django-filter's BooleanFilter ignores other values
    silently, which would answer a typo with the unfiltered list."""
    return filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        **kwargs,
    )


class ProjectFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ProjectStatus.choices)

    class Meta:
        model = Project
        fields = ["status"]


class EmployeeFilter(filters.FilterSet):
    project = filters.CharFilter(
        field_name="memberships__project_id", help_text="Only members of this project."
    )

    class Meta:
        model = Employee
        fields = ["project"]


class TaskFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(
        choices=TaskStatus.choices, help_text="Repeat the parameter for several statuses."
    )
    assigned_to = filters.CharFilter(field_name="assigned_to_id", help_text="Employee id.")
    unassigned = boolean_filter(
        field_name="assigned_to", lookup_expr="isnull", help_text="true: tasks without assignee."
    )
    sprint = filters.CharFilter(field_name="sprint_id", help_text="Sprint id.")
    in_sprint = boolean_filter(
        field_name="sprint", lookup_expr="isnull", exclude=True, help_text="false: the backlog."
    )

    class Meta:
        model = Task
        fields = ["status", "assigned_to", "unassigned", "sprint", "in_sprint"]


class SprintFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(
        choices=SprintStatus.choices, help_text="Repeat the parameter for several statuses."
    )

    class Meta:
        model = Sprint
        fields = ["status"]


class ActionItemFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ActionItemStatus.choices)

    class Meta:
        model = RetrospectiveActionItem
        fields = ["status"]


class HolidayFilter(filters.FilterSet):
    date = filters.DateFromToRangeFilter(help_text="date_after / date_before, inclusive.")
    type = filters.ChoiceFilter(choices=HolidayType.choices)

    class Meta:
        model = Holiday
        fields = ["date", "type"]


class PTOFilter(filters.FilterSet):
    employee = filters.CharFilter(field_name="employee_id", help_text="Employee id.")
    date = filters.DateFromToRangeFilter(
        method="filter_overlapping",
        help_text="date_after / date_before: PTO overlapping that window (inclusive).",
    )

    class Meta:
        model = PTO
        fields = ["employee", "date"]

    @extend_schema_field(OpenApiTypes.DATE)
    def filter_overlapping(
        self, queryset: QuerySet[PTO], name: str, value: slice | None
    ) -> QuerySet[PTO]:
        if value is None:
            return queryset
        if value.start is not None:
            queryset = queryset.filter(end_date__gte=value.start)
        if value.stop is not None:
            queryset = queryset.filter(start_date__lte=value.stop)
        return queryset
