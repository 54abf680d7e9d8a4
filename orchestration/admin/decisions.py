"""Decision configuration (editable, as through the API), the decision audit trail, the
sprint-control audit and the history features behind similarity (written by the services:
read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.safestring import SafeString

from perfmetrics.models import Run

from ..models import (
    DecisionAudit,
    DecisionModeConfig,
    HistoryFeaturesRemoval,
    PerftestBaseline,
    Project,
    ProjectHistoryFeatures,
    Sprint,
    SprintControlAudit,
)
from .common import (
    ExactSearchMixin,
    LargeTableMixin,
    ProjectFilter,
    ReadOnlyModelAdmin,
    change_link,
    flatten,
    pretty_json,
)


@admin.register(DecisionModeConfig)
class DecisionModeConfigAdmin(admin.ModelAdmin[DecisionModeConfig]):
    list_display = (
        "project",
        "mode",
        "confidence_threshold",
        "enable_task_count_adjustment",
        "enable_sprint_duration_adjustment",
        "min_similar_projects",
        "max_task_adjustment_percent",
        "updated_at",
    )
    list_filter = ("mode",)
    list_select_related = ("project",)
    search_fields = ("project__project_id",)
    autocomplete_fields = ("project",)
    readonly_fields = ("updated_at",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: DecisionModeConfig | None = None
    ) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "project"] if obj is not None else fields


@admin.register(DecisionAudit)
class DecisionAuditAdmin(ExactSearchMixin, LargeTableMixin, ReadOnlyModelAdmin[DecisionAudit]):
    list_display = (
        "id",
        "created_at",
        "project_link",
        "decision_source",
        "dry_run",
        "run_link",
        "sprint_link",
    )
    list_filter = (ProjectFilter, "decision_source", "dry_run")
    search_fields = ("project__project_id",)
    exact_search_fields = ("project_id",)
    search_help_text = "An exact project id."
    # Newest first by primary key, which is indexed (created_at is only indexed per project).
    ordering = ("-id",)
    sortable_by = ("id",)
    fields = (
        ("created_at", "project_link", "dry_run"),
        ("decision_source", "run_link", "sprint_link"),
        "reasoning",
        "base_decision_json",
        "proposed_adjustments_json",
        "applied_adjustments_json",
        "final_decision_json",
    )
    readonly_fields = flatten(fields)

    @admin.display(description="project", ordering="project_id")
    def project_link(self, obj: DecisionAudit) -> SafeString | str:
        return change_link(Project, obj.project_id)

    @admin.display(description="run")
    def run_link(self, obj: DecisionAudit) -> SafeString | str:
        # A soft link: retention may have pruned the run since.
        return change_link(Run, obj.run_id, f"#{obj.run_id}")

    @admin.display(description="sprint opened")
    def sprint_link(self, obj: DecisionAudit) -> SafeString | str:
        return change_link(Sprint, obj.sprint_opened_id)

    @admin.display(description="base (rule) decision")
    def base_decision_json(self, obj: DecisionAudit) -> SafeString:
        return pretty_json(obj.base_decision)

    @admin.display(description="proposed adjustments")
    def proposed_adjustments_json(self, obj: DecisionAudit) -> SafeString:
        return pretty_json(obj.proposed_adjustments)

    @admin.display(description="applied adjustments")
    def applied_adjustments_json(self, obj: DecisionAudit) -> SafeString:
        return pretty_json(obj.applied_adjustments)

    @admin.display(description="final decision")
    def final_decision_json(self, obj: DecisionAudit) -> SafeString:
        return pretty_json(obj.final_decision)


@admin.register(SprintControlAudit)
class SprintControlAuditAdmin(ExactSearchMixin, ReadOnlyModelAdmin[SprintControlAudit]):
    list_display = (
        "id",
        "created_at",
        "project_link",
        "sprint_link",
        "action",
        "previous_end_date",
        "new_end_date",
        "requested_by",
    )
    list_filter = ("action",)
    search_fields = ("project__project_id",)
    exact_search_fields = ("project_id",)
    search_help_text = "An exact project id."
    ordering = ("-id",)
    fields = (
        ("created_at", "project_link", "sprint_link"),
        ("action", "previous_end_date", "new_end_date"),
        ("requested_by", "reason"),
    )
    readonly_fields = flatten(fields)

    @admin.display(description="project", ordering="project_id")
    def project_link(self, obj: SprintControlAudit) -> SafeString | str:
        return change_link(Project, obj.project_id)

    @admin.display(description="sprint", ordering="sprint_id")
    def sprint_link(self, obj: SprintControlAudit) -> SafeString | str:
        return change_link(Sprint, obj.sprint_id)


@admin.register(ProjectHistoryFeatures)
class ProjectHistoryFeaturesAdmin(ExactSearchMixin, ReadOnlyModelAdmin[ProjectHistoryFeatures]):
    list_display = (
        "project",
        "team_size",
        "closed_sprints",
        "mean_tasks_per_sprint",
        "mean_completion_rate",
        "mean_duration_weeks",
        "mean_velocity",
        "optimal_task_count",
        "updated_at",
    )
    list_select_related = ("project",)
    search_fields = ("project__project_id",)
    exact_search_fields = ("project_id",)
    search_help_text = "An exact project id."


@admin.register(HistoryFeaturesRemoval)
class HistoryFeaturesRemovalAdmin(LargeTableMixin, ReadOnlyModelAdmin[HistoryFeaturesRemoval]):
    """Deleted history features, written by a database trigger for the workers' caches."""

    list_display = ("project_id", "removed_xid")
    search_fields = ("project_id",)


@admin.register(PerftestBaseline)
class PerftestBaselineAdmin(ReadOnlyModelAdmin[PerftestBaseline]):
    """Saved perftest reports; written by ``perftest --save-baseline`` only."""

    list_display = ("name", "created_at")
    search_fields = ("name",)
    fields = ("name", "created_at", "report_json")

    @admin.display(description="report")
    def report_json(self, obj: PerftestBaseline) -> SafeString:
        return pretty_json(obj.report)
