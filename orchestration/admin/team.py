"""Registration data people maintain: projects, employees, memberships, holidays, PTO, tasks.

These are editable, as through the API; the columns orchestration owns (a
project's status and sprint count, a task's status and sprint) stay read-only.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from perfmetrics.models import Run

from ..models import (
    PTO,
    DailyScrumReport,
    DailyScrumSchedule,
    DecisionAudit,
    DecisionModeConfig,
    Employee,
    Holiday,
    Project,
    ProjectHistoryFeatures,
    ProjectMembership,
    Sprint,
    Task,
)
from .common import (
    ExactSearchMixin,
    LargeTableMixin,
    ProjectFilter,
    SprintFilter,
    change_link,
    changelist_link,
    progress_bar,
)


class MembershipInline(admin.TabularInline[ProjectMembership, Project]):
    model = ProjectMembership
    extra = 0
    autocomplete_fields = ("employee",)
    readonly_fields = ("joined_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProjectMembership]:
        return super().get_queryset(request).select_related("employee")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ("project_id", "name", "codename", "status", "sprint_count", "team_size")
    list_filter = ("status",)
    search_fields = ("project_id", "name", "codename")
    readonly_fields = ("status", "sprint_count", "created_at", "updated_at", "related")
    fields = (
        ("project_id", "name", "codename"),
        ("status", "sprint_count"),
        ("created_at", "updated_at"),
        "related",
    )
    inlines = (MembershipInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Project | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        # The id is the key every other row and the API refer to.
        return [*fields, "project_id"] if obj is not None else fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return super().get_queryset(request).annotate(team_size=Count("memberships"))

    @admin.display(description="team size", ordering="team_size")
    def team_size(self, obj: Project) -> int:
        return int(getattr(obj, "team_size", 0))

    @admin.display(description="history and activity")
    def related(self, obj: Project) -> SafeString:
        pk = obj.pk
        links = [
            changelist_link(Sprint, "Sprints", project=pk),
            changelist_link(Task, "Tasks", project=pk),
            changelist_link(DailyScrumSchedule, "Daily-scrum schedules", project=pk),
            changelist_link(DailyScrumReport, "Daily scrum reports", project=pk),
            changelist_link(DecisionAudit, "Decision audits", project=pk),
            changelist_link(Run, "Performance runs", project_id=pk),
            change_link(DecisionModeConfig, pk, "Decision configuration"),
            change_link(ProjectHistoryFeatures, pk, "History features"),
        ]
        return format_html_join(" | ", "{}", ((link,) for link in links))


class EmployeeMembershipInline(admin.TabularInline[ProjectMembership, Employee]):
    model = ProjectMembership
    extra = 0
    autocomplete_fields = ("project",)
    readonly_fields = ("joined_at",)
    verbose_name_plural = "projects"


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin[Employee]):
    list_display = ("employee_id", "name", "email", "created_at")
    search_fields = ("employee_id", "name", "email")
    readonly_fields = ("created_at",)
    inlines = (EmployeeMembershipInline,)


@admin.register(ProjectMembership)
class ProjectMembershipAdmin(admin.ModelAdmin[ProjectMembership]):
    list_display = ("project", "employee", "joined_at")
    list_filter = (ProjectFilter,)
    list_select_related = ("project", "employee")
    search_fields = ("employee__employee_id", "employee__name")
    autocomplete_fields = ("project", "employee")
    readonly_fields = ("joined_at",)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin[Holiday]):
    list_display = ("date", "name", "type")
    list_filter = ("type", ("date", admin.DateFieldListFilter))
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(PTO)
class PTOAdmin(admin.ModelAdmin[PTO]):
    list_display = ("employee", "start_date", "end_date", "reason")
    list_filter = (("start_date", admin.DateFieldListFilter),)
    list_select_related = ("employee",)
    search_fields = ("employee__employee_id", "employee__name", "reason")
    autocomplete_fields = ("employee",)


@admin.register(Task)
class TaskAdmin(ExactSearchMixin, LargeTableMixin, admin.ModelAdmin[Task]):
    list_display = (
        "task_id",
        "title",
        "status",
        "assignee",
        "sprint_link",
        "progress",
    )
    list_filter = (ProjectFilter, SprintFilter, "status")
    # Sprint and assignee are shown by id, so the page needs no join (the project
    # is the task id's prefix and a filter).
    list_select_related = False
    search_fields = ("task_id",)
    exact_search_fields = ("task_id",)
    search_help_text = "An exact task id."
    # The primary key index serves this order on the whole table.
    ordering = ("task_id",)
    sortable_by = ("task_id",)
    autocomplete_fields = ("project", "assigned_to")
    readonly_fields = ("status", "sprint", "created_at", "updated_at")
    fields = (
        ("task_id", "project"),
        "title",
        "description",
        ("assigned_to", "progress_percentage"),
        ("status", "sprint"),
        ("created_at", "updated_at"),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Task | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "task_id", "project"] if obj is not None else fields

    @admin.display(description="sprint")
    def sprint_link(self, obj: Task) -> SafeString | str:
        return change_link(Sprint, obj.sprint_id)

    @admin.display(description="assigned to")
    def assignee(self, obj: Task) -> SafeString | str:
        return change_link(Employee, obj.assigned_to_id)

    @admin.display(description="progress")
    def progress(self, obj: Task) -> SafeString:
        return progress_bar(obj.progress_percentage)
