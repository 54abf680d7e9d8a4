"""What orchestration writes as sprints run: sprints, snapshots, reports, retrospectives,
schedules. Read-only (see ReadOnlyModelAdmin); only retrospective action items'
status is edited by people, because nothing in the service closes them.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ..models import (
    ActionItemStatus,
    DailyScrumEntry,
    DailyScrumReport,
    DailyScrumSchedule,
    Project,
    RetrospectiveActionItem,
    Sprint,
    SprintRetrospective,
    SprintTaskSnapshot,
    Task,
)
from ..selectors.schedules import next_run_at
from .common import (
    ExactSearchMixin,
    LargeTableMixin,
    ProjectFilter,
    ReadOnlyInline,
    ReadOnlyModelAdmin,
    SprintFilter,
    change_link,
    changelist_link,
    flatten,
    pretty_json,
    progress_bar,
)


class SprintTaskInline(ReadOnlyInline[Task, Sprint]):
    model = Task
    fk_name = "sprint"
    verbose_name_plural = "tasks now in this sprint (incomplete ones go back to the backlog)"
    fields = ("task_id", "title", "status", "assigned_to", "progress")
    readonly_fields = flatten(fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Task]:
        return super().get_queryset(request).select_related("assigned_to")

    @admin.display(description="progress")
    def progress(self, obj: Task) -> SafeString:
        return progress_bar(obj.progress_percentage)


class SnapshotInline(ReadOnlyInline[SprintTaskSnapshot, Sprint]):
    model = SprintTaskSnapshot
    verbose_name_plural = "task snapshot taken when the sprint closed"
    fields = ("task", "assigned_to", "progress", "completed")
    readonly_fields = flatten(fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[SprintTaskSnapshot]:
        return super().get_queryset(request).select_related("task", "assigned_to")

    @admin.display(description="progress")
    def progress(self, obj: SprintTaskSnapshot) -> SafeString:
        return progress_bar(obj.progress_percentage)


@admin.register(Sprint)
class SprintAdmin(ExactSearchMixin, LargeTableMixin, ReadOnlyModelAdmin[Sprint]):
    list_display = (
        "sprint_id",
        "project_link",
        "status",
        "dates",
        "tasks_done",
        "decision_source",
    )
    list_filter = (ProjectFilter, "status", "decision_source")
    search_fields = ("sprint_id",)
    exact_search_fields = ("sprint_id",)
    search_help_text = "An exact sprint id."
    # unique_sprint_number (project, number) serves this order.
    ordering = ("project_id", "number")
    sortable_by = ("sprint_id",)
    fields = (
        ("sprint_id", "project_link", "number"),
        ("start_date", "end_date", "duration_weeks"),
        ("status", "decision_source", "closed_at"),
        ("task_count", "completed_count", "completion"),
        "retrospective_summary",
        "related",
    )
    readonly_fields = flatten(fields)
    inlines = (SprintTaskInline, SnapshotInline)

    @admin.display(description="project", ordering="project_id")
    def project_link(self, obj: Sprint) -> SafeString | str:
        return change_link(Project, obj.project_id)

    @admin.display(description="dates")
    def dates(self, obj: Sprint) -> str:
        return f"{obj.start_date:%Y-%m-%d} to {obj.end_date:%Y-%m-%d} ({obj.duration_weeks} w)"

    @admin.display(description="tasks completed")
    def tasks_done(self, obj: Sprint) -> str:
        """Filled when the sprint closes."""
        if obj.task_count is None or obj.completed_count is None:
            return "-"
        return f"{obj.completed_count} of {obj.task_count} ({self.completion(obj)})"

    @admin.display(description="completion")
    def completion(self, obj: Sprint) -> str:
        rate = obj.completion_rate
        return "-" if rate is None else f"{rate:.0%}"

    @admin.display(description="retrospective")
    def retrospective_summary(self, obj: Sprint) -> SafeString | str:
        retrospective = SprintRetrospective.objects.filter(sprint=obj).first()
        if retrospective is None:
            return "-"
        items = retrospective.action_items.order_by("id")
        return format_html(
            "{} ({} complete)<br>Went well: {}<br>Could be improved: {}{}",
            change_link(SprintRetrospective, retrospective.pk, "Retrospective"),
            f"{retrospective.completion_rate:.0%}",
            retrospective.what_went_well,
            retrospective.what_could_be_improved,
            format_html_join(
                "", "<br>Action item [{}]: {}", ((i.status, i.description) for i in items)
            ),
        )

    @admin.display(description="more")
    def related(self, obj: Sprint) -> SafeString:
        return format_html(
            "{} | {}",
            changelist_link(DailyScrumReport, "Daily scrum reports", sprint=obj.pk),
            changelist_link(DailyScrumSchedule, "Daily-scrum schedules", sprint=obj.pk),
        )


@admin.register(SprintTaskSnapshot)
class SprintTaskSnapshotAdmin(
    ExactSearchMixin, LargeTableMixin, ReadOnlyModelAdmin[SprintTaskSnapshot]
):
    list_display = ("id", "sprint_link", "task", "assigned_to", "progress_percentage", "completed")
    list_filter = (SprintFilter, "completed")
    list_select_related = ("task", "assigned_to")
    search_fields = ("task__task_id",)
    exact_search_fields = ("task_id", "sprint_id")
    search_help_text = "An exact task or sprint id."
    ordering = ("-id",)
    sortable_by = ("id",)

    @admin.display(description="sprint", ordering="sprint_id")
    def sprint_link(self, obj: SprintTaskSnapshot) -> SafeString | str:
        return change_link(Sprint, obj.sprint_id)


class EntryInline(ReadOnlyInline[DailyScrumEntry, DailyScrumReport]):
    model = DailyScrumEntry
    fields = ("employee", "task", "yesterday_work", "today_work", "impediments")
    readonly_fields = flatten(fields)
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[DailyScrumEntry]:
        return super().get_queryset(request).select_related("employee", "task")


@admin.register(DailyScrumReport)
class DailyScrumReportAdmin(LargeTableMixin, ReadOnlyModelAdmin[DailyScrumReport]):
    list_display = ("report_date", "sprint_link", "project_link", "short_summary")
    list_filter = (ProjectFilter, SprintFilter)
    # Newest first by primary key: report_date has no index of its own.
    ordering = ("-id",)
    sortable_by = ()
    fields = (
        ("report_date", "sprint_link", "project_link"),
        "summary",
        "metrics_json",
        "created_at",
    )
    readonly_fields = flatten(fields)
    inlines = (EntryInline,)

    @admin.display(description="sprint")
    def sprint_link(self, obj: DailyScrumReport) -> SafeString | str:
        return change_link(Sprint, obj.sprint_id)

    @admin.display(description="project")
    def project_link(self, obj: DailyScrumReport) -> SafeString | str:
        return change_link(Project, obj.project_id)

    @admin.display(description="summary")
    def short_summary(self, obj: DailyScrumReport) -> str:
        return obj.summary if len(obj.summary) <= 100 else f"{obj.summary[:99]}…"

    @admin.display(description="metrics")
    def metrics_json(self, obj: DailyScrumReport) -> SafeString:
        return pretty_json(obj.metrics)


class ActionItemInline(admin.TabularInline[RetrospectiveActionItem, SprintRetrospective]):
    model = RetrospectiveActionItem
    extra = 0
    fields = ("description", "status")
    readonly_fields = ("description",)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SprintRetrospective)
class SprintRetrospectiveAdmin(
    ExactSearchMixin, LargeTableMixin, admin.ModelAdmin[SprintRetrospective]
):
    """Generated when a sprint closes; people only mark its action items done."""

    list_display = ("sprint_link", "rate", "open_items", "created_at")
    search_fields = ("sprint__sprint_id",)
    exact_search_fields = ("sprint_id",)
    search_help_text = "An exact sprint id."
    ordering = ("-id",)
    sortable_by = ()
    fields = (
        ("sprint_link", "rate", "created_at"),
        "what_went_well",
        "what_could_be_improved",
        "tasks_summary_json",
    )
    readonly_fields = flatten(fields)
    inlines = (ActionItemInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: SprintRetrospective | None = None
    ) -> bool:
        return False

    @admin.display(description="sprint")
    def sprint_link(self, obj: SprintRetrospective) -> SafeString | str:
        return change_link(Sprint, obj.sprint_id)

    @admin.display(description="completion rate")
    def rate(self, obj: SprintRetrospective) -> str:
        return f"{obj.completion_rate:.0%}"

    @admin.display(description="open action items")
    def open_items(self, obj: SprintRetrospective) -> int:
        return int(getattr(obj, "open_items", None) or 0)

    @admin.display(description="tasks summary")
    def tasks_summary_json(self, obj: SprintRetrospective) -> SafeString:
        return pretty_json(obj.tasks_summary)

    def get_queryset(self, request: HttpRequest) -> QuerySet[SprintRetrospective]:
        # A correlated subquery, evaluated for the page's rows only (a GROUP BY
        # join would aggregate every retrospective before the page is cut).
        open_items = (
            RetrospectiveActionItem.objects.filter(
                retrospective=OuterRef("pk"), status=ActionItemStatus.OPEN
            )
            .order_by()
            .values("retrospective")
            .annotate(count=Count("id"))
            .values("count")
        )
        return super().get_queryset(request).annotate(open_items=Subquery(open_items))


@admin.register(DailyScrumSchedule)
class DailyScrumScheduleAdmin(LargeTableMixin, ReadOnlyModelAdmin[DailyScrumSchedule]):
    list_display = (
        "name",
        "project_link",
        "sprint_link",
        "cron_schedule",
        "is_active",
        "next_run",
        "last_run_at",
        "created_at",
        "deactivated_at",
        "deactivation_reason",
    )
    list_filter = (ProjectFilter, SprintFilter, "is_active", "deactivation_reason")
    # The next run is read in the project's time zone.
    list_select_related = ("project",)
    search_fields = ("name",)
    ordering = ("-id",)
    sortable_by = ()

    @admin.display(description="project")
    def project_link(self, obj: DailyScrumSchedule) -> SafeString | str:
        return change_link(Project, obj.project_id)

    @admin.display(description="sprint")
    def sprint_link(self, obj: DailyScrumSchedule) -> SafeString | str:
        return change_link(Sprint, obj.sprint_id)

    @admin.display(description="next run")
    def next_run(self, obj: DailyScrumSchedule) -> datetime | None:
        return next_run_at(obj)
