"""GET /orchestrate/project/{id}/status and the schedule state of the cronjob endpoint."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..engine.values import PatternAnalysis
from ..models import DeactivationReason, ProjectStatus, SprintStatus
from .orchestrate import DataQualitySerializer, TaskSummarySerializer, VelocityTrendSerializer


class SprintSummarySerializer(serializers.Serializer[Any]):
    sprint_id = serializers.CharField()
    sprint_name = serializers.CharField()
    status = serializers.ChoiceField(choices=SprintStatus.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    duration_weeks = serializers.IntegerField()
    task_summary = TaskSummarySerializer(
        source="tasks",
        help_text="Live counts of an open sprint; the closing snapshot of a closed one.",
    )


class BacklogCountsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    unassigned = serializers.IntegerField()
    assigned_to_sprint = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    completed = serializers.IntegerField()


class ScheduleSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    project_id = serializers.CharField()
    sprint_id = serializers.CharField()
    cron_schedule = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    deactivated_at = serializers.DateTimeField(allow_null=True)
    deactivation_reason = serializers.ChoiceField(
        choices=[("", "active"), *DeactivationReason.choices],
        help_text="Empty while active; `sprint_closed` or `operator` once stopped.",
    )
    last_run_at = serializers.DateTimeField(
        allow_null=True, help_text="When its daily-scrum job last ran."
    )
    next_run_at = serializers.DateTimeField(
        allow_null=True, help_text="When it fires next (UTC); null while inactive."
    )


class InsightsDigestSerializer(serializers.Serializer[PatternAnalysis]):
    """The headline of the pattern analysis; the full one is at .../insights."""

    insights_summary = serializers.CharField()
    pattern_confidence = serializers.FloatField(source="confidence")
    similar_project_count = serializers.SerializerMethodField()
    velocity_trends = VelocityTrendSerializer(source="velocity")
    data_quality_report = DataQualitySerializer(source="data_quality")

    def get_similar_project_count(self, analysis: PatternAnalysis) -> int:
        return len(analysis.similar_projects)


class ProjectStatusSerializer(serializers.Serializer[Any]):
    project_id = serializers.CharField(source="overview.project_id")
    name = serializers.CharField(source="overview.name")
    status = serializers.ChoiceField(choices=ProjectStatus.choices, source="overview.status")
    team_size = serializers.IntegerField(source="overview.team_size")
    current_sprint = SprintSummarySerializer(
        source="overview.current_sprint",
        allow_null=True,
        help_text="The open sprint, or the last closed one when none is open; null without any.",
    )
    backlog = BacklogCountsSerializer(
        source="overview.backlog", help_text="The project's tasks counted by status."
    )
    schedules = ScheduleSerializer(
        many=True,
        source="overview.schedules",
        help_text="Active schedules first, then the newest; at most 20.",
    )
    active_schedules = serializers.IntegerField(source="overview.active_schedules")
    total_schedules = serializers.IntegerField(source="overview.total_schedules")
    latest_insights = InsightsDigestSerializer(source="insights")
