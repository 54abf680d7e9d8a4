"""The intelligence endpoints: pattern views, decision mode, audit trail, decision impact.

The pattern parts reuse the response serializers of the orchestrate endpoint, so a
similar project or a velocity trend has one shape everywhere.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..engine.patterns import MAX_SIMILAR_PROJECTS
from ..engine.values import DecisionMode
from ..selectors import DecisionConfigSource
from ..services.decision_config import DecisionConfigChanges
from .fields import (
    RejectUnknownFieldsMixin,
    StrictBooleanField,
    StrictFloatField,
    StrictIntegerField,
)
from .orchestrate import (
    DataQualitySerializer,
    PatternAnalysisSerializer,
    SimilarProjectSerializer,
    SuccessIndicatorsSerializer,
    VelocityTrendSerializer,
)

MODES = [m.value for m in DecisionMode]
# Labelled, unlike the bare decision_source of the orchestrate response: the schema
# documents what each mode does, and the different labels keep the two enums apart.
MODE_CHOICES = [
    (DecisionMode.RULE_BASED_ONLY.value, "Rules decide; proposals are audited, never applied"),
    (
        DecisionMode.INTELLIGENCE_ENHANCED.value,
        "Proposals that pass the confidence gate change the sprint opened",
    ),
]


# --- pattern views ----------------------------------------------------------------------


class ProjectInsightsSerializer(serializers.Serializer[Any]):
    project_id = serializers.CharField()
    insights_summary = serializers.CharField(source="analysis.insights_summary")
    pattern_analysis = PatternAnalysisSerializer(source="analysis")
    data_quality_report = DataQualitySerializer(source="analysis.data_quality")


class SimilarProjectsSerializer(serializers.Serializer[Any]):
    project_id = serializers.CharField()
    similar_projects = SimilarProjectSerializer(
        many=True,
        source="analysis.similar_projects",
        help_text="Cosine similarity >= 0.7, best first, at most 10.",
    )
    success_indicators = SuccessIndicatorsSerializer(source="analysis.success")


class SprintOutcomeSerializer(serializers.Serializer[Any]):
    sprint_id = serializers.CharField()
    task_count = serializers.IntegerField()
    completed_count = serializers.IntegerField()
    completion_rate = serializers.FloatField()
    duration_weeks = serializers.IntegerField()


class VelocityTrendsSerializer(serializers.Serializer[Any]):
    project_id = serializers.CharField()
    velocity_trends = VelocityTrendSerializer(source="velocity")
    recent_sprints = SprintOutcomeSerializer(
        many=True, help_text="The closed sprints the trend is computed from, oldest first."
    )


class DataQualityReportSerializer(serializers.Serializer[Any]):
    project_id = serializers.CharField()
    data_quality_report = DataQualitySerializer(source="analysis.data_quality")


# --- decision mode ----------------------------------------------------------------------


class DecisionConfigSerializer(serializers.Serializer[Any]):
    project_id = serializers.CharField()
    # A declared field named like Field.source: DRF's metaclass moves it into the
    # declared fields, so only the stubs see a clash.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=[s.value for s in DecisionConfigSource],
        help_text="project: the project's own row; default: the settings (ORCHESTRATION).",
    )
    mode = serializers.ChoiceField(choices=MODE_CHOICES, source="config.mode")
    confidence_threshold = serializers.FloatField(source="config.confidence_threshold")
    enable_task_count_adjustment = serializers.BooleanField(
        source="config.enable_task_count_adjustment"
    )
    enable_sprint_duration_adjustment = serializers.BooleanField(
        source="config.enable_sprint_duration_adjustment"
    )
    min_similar_projects = serializers.IntegerField(source="config.min_similar_projects")
    max_task_adjustment_percent = serializers.FloatField(
        source="config.max_task_adjustment_percent"
    )
    updated_at = serializers.DateTimeField(allow_null=True, help_text="Null for the default.")


class DecisionConfigUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer[Any]):
    """A partial update: omitted fields keep the project's current effective value."""

    mode = serializers.ChoiceField(choices=MODE_CHOICES, required=False)
    confidence_threshold = StrictFloatField(min_value=0.0, max_value=1.0, required=False)
    enable_task_count_adjustment = StrictBooleanField(required=False)
    enable_sprint_duration_adjustment = StrictBooleanField(required=False)
    min_similar_projects = StrictIntegerField(
        min_value=1,
        max_value=MAX_SIMILAR_PROJECTS,
        required=False,
        help_text=f"At most {MAX_SIMILAR_PROJECTS}: no more similar projects are ever kept.",
    )
    max_task_adjustment_percent = StrictFloatField(min_value=0.0, max_value=100.0, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs

    def to_changes(self) -> DecisionConfigChanges:
        data = dict(self.validated_data)
        if "mode" in data:
            data["mode"] = DecisionMode(data["mode"])
        return DecisionConfigChanges(**data)


# --- audit trail ------------------------------------------------------------------------


class DecisionAuditQuerySerializer(serializers.Serializer[Any]):
    # A ChoiceField, not a BooleanField: DRF reads an absent boolean of a query
    # string as false, which would silently hide the dry runs.
    dry_run = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="Only dry runs (true) or only real runs (false); both when omitted.",
    )

    def dry_run_filter(self) -> bool | None:
        value = self.validated_data.get("dry_run")
        return None if value is None else value == "true"


class DecisionAuditSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    run_id = serializers.IntegerField(allow_null=True, help_text="The performance run, if kept.")
    created_at = serializers.DateTimeField()
    dry_run = serializers.BooleanField()
    decision_source = serializers.ChoiceField(choices=MODES)
    base_decision = serializers.DictField(help_text="The base decision (docs/design.md §3.3).")
    proposed_adjustments = serializers.ListField(
        child=serializers.DictField(), help_text="Every intelligence proposal."
    )
    applied_adjustments = serializers.ListField(
        child=serializers.DictField(), help_text="The proposals applied, with applied_value."
    )
    final_decision = serializers.DictField()
    reasoning = serializers.CharField()
    sprint_opened = serializers.CharField(source="sprint_opened_id", allow_null=True)


# --- decision impact --------------------------------------------------------------------


class DecisionImpactQuerySerializer(RejectUnknownFieldsMixin, serializers.Serializer[Any]):
    start_date = serializers.DateField(
        required=False,
        input_formats=["iso-8601"],
        help_text="Only sprints starting on or after this day (YYYY-MM-DD).",
    )
    end_date = serializers.DateField(
        required=False,
        input_formats=["iso-8601"],
        help_text="Only sprints starting on or before this day (YYYY-MM-DD).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start is not None and end is not None and start > end:
            raise serializers.ValidationError(
                {"end_date": [f"Must not be before start_date ({start.isoformat()})."]}
            )
        return attrs


class ImpactGroupSerializer(serializers.Serializer[Any]):
    sprints = serializers.IntegerField(help_text="Closed sprints opened by this kind of decision.")
    mean_completion_rate = serializers.FloatField(
        allow_null=True, help_text="Mean of completed/total over sprints that held tasks."
    )
    mean_velocity = serializers.FloatField(
        allow_null=True, help_text="Mean completed tasks per sprint."
    )


class ImpactDifferenceSerializer(serializers.Serializer[Any]):
    """intelligence_enhanced minus rule_based_only; null when either group is empty."""

    completion_rate = serializers.FloatField(source="completion_rate_difference", allow_null=True)
    velocity = serializers.FloatField(source="velocity_difference", allow_null=True)


class DecisionImpactSerializer(serializers.Serializer[Any]):
    project_id = serializers.CharField()
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    intelligence_enhanced = ImpactGroupSerializer()
    rule_based_only = ImpactGroupSerializer()
    difference = ImpactDifferenceSerializer(source="*")
