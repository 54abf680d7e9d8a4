"""POST /orchestrate/project/{id}: the request and the response of docs/design.md §3.1 and §3.6."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..engine.schedule import CronError, validate_cron
from ..engine.values import (
    ActiveSprint,
    AdjustmentKind,
    DecisionMode,
    OrchestrationOptions,
)
from ..services.orchestrate import OrchestrationOutcome
from ..wire import ACTION
from .fields import (
    RejectUnknownFieldsMixin,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from .performance import PERFORMANCE_METRICS_SCHEMA, PerformanceMetricsDict, present_performance

PROJECT_DEFAULTS = frozenset({"sprint_duration_weeks", "max_tasks_per_sprint"})
_DEFAULTS = OrchestrationOptions()


class OptionsSerializer(RejectUnknownFieldsMixin, serializers.Serializer[Any]):
    create_sprint_if_needed = StrictBooleanField(default=_DEFAULTS.create_sprint_if_needed)
    assign_tasks = StrictBooleanField(default=_DEFAULTS.assign_tasks)
    create_cronjob = StrictBooleanField(default=_DEFAULTS.create_cronjob)
    schedule = StrictCharField(
        default=_DEFAULTS.schedule,
        max_length=100,
        help_text="5-field cron expression of the daily scrum.",
    )
    sprint_duration_weeks = StrictIntegerField(
        default=_DEFAULTS.sprint_duration_weeks, min_value=1, max_value=8
    )
    max_tasks_per_sprint = StrictIntegerField(
        default=_DEFAULTS.max_tasks_per_sprint, min_value=1, max_value=100
    )
    enable_pattern_recognition = StrictBooleanField(default=_DEFAULTS.enable_pattern_recognition)
    dry_run = StrictBooleanField(
        default=_DEFAULTS.dry_run, help_text="Decide and report; change no domain table."
    )
    capacity_planning = StrictBooleanField(
        default=_DEFAULTS.capacity_planning,
        help_text="Scale the tasks of a new sprint by the team's capacity (holidays, PTO).",
    )

    def validate_schedule(self, value: str) -> str:
        try:
            return validate_cron(value)
        except CronError as exc:
            raise serializers.ValidationError(f"Invalid cron expression: {exc}.") from None


class OrchestrateRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=[ACTION])
    options = OptionsSerializer(required=False)

    def to_options(self) -> OrchestrationOptions:
        raw = self.validated_data.get("options")
        if raw is None:
            raw = OptionsSerializer(data={}).run_validation({})
        sent = self.initial_data.get("options") if isinstance(self.initial_data, dict) else None
        # Left out, these come from the project's cadence when it sets them (§3.1).
        omitted = frozenset(PROJECT_DEFAULTS - set(sent if isinstance(sent, dict) else ()))
        return OrchestrationOptions(**raw, project_defaults=omitted)


# --- response ---------------------------------------------------------------------------


class ConflictSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    date = serializers.DateField()
    name = serializers.CharField()
    details = serializers.CharField()


class TeamAvailabilitySerializer(serializers.Serializer[Any]):
    """Over the sprint opened (or that would open), else the running sprint's remaining
    days; no window when neither (docs/design.md §3.2)."""

    status = serializers.ChoiceField(choices=["available", "conflicts_detected"])
    conflicts = ConflictSerializer(many=True)
    window_start = serializers.DateField(allow_null=True)
    window_end = serializers.DateField(allow_null=True)
    capacity = serializers.FloatField(
        allow_null=True,
        help_text="Member working days available / (members x working days); null: no window.",
    )


class TaskSummarySerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    completed = serializers.IntegerField()
    pending = serializers.IntegerField()


class ActiveSprintSerializer(serializers.Serializer[ActiveSprint]):
    sprint_id = serializers.CharField()
    sprint_name = serializers.CharField()
    status = serializers.SerializerMethodField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    duration_weeks = serializers.IntegerField()
    task_summary = TaskSummarySerializer(source="tasks")
    schedule_name = serializers.CharField(allow_null=True)
    schedule_active = serializers.BooleanField()

    def get_status(self, sprint: ActiveSprint) -> str:
        return "in_progress"


class SimilarProjectSerializer(serializers.Serializer[Any]):
    project_id = serializers.CharField()
    similarity_score = serializers.FloatField()
    team_size = serializers.IntegerField()
    completion_rate = serializers.FloatField()
    avg_sprint_duration = serializers.FloatField(help_text="Weeks.")
    optimal_task_count = serializers.IntegerField()


class VelocityTrendSerializer(serializers.Serializer[Any]):
    trend = serializers.ChoiceField(choices=["increasing", "decreasing", "stable"])
    slope = serializers.FloatField()
    confidence = serializers.FloatField()
    current_velocity = serializers.IntegerField()
    historical_range = serializers.SerializerMethodField()
    sprints_analyzed = serializers.IntegerField()

    @extend_schema_field({"type": "array", "items": {"type": "integer"}, "minItems": 2})
    def get_historical_range(self, velocity: Any) -> list[int]:
        return [velocity.historical_min, velocity.historical_max]


class SuccessIndicatorsSerializer(serializers.Serializer[Any]):
    optimal_tasks_per_sprint = serializers.IntegerField(allow_null=True)
    recommended_duration_weeks = serializers.IntegerField(allow_null=True)
    success_probability = serializers.FloatField()
    projects_analyzed = serializers.IntegerField()


class DataQualitySerializer(serializers.Serializer[Any]):
    closed_sprints = serializers.IntegerField()
    retrospectives = serializers.IntegerField()
    avg_completion_rate = serializers.FloatField()
    avg_velocity = serializers.FloatField()
    completeness_score = serializers.FloatField()
    quality_level = serializers.ChoiceField(choices=["high", "medium", "low"])
    issues = serializers.ListField(child=serializers.CharField())


class PatternAnalysisSerializer(serializers.Serializer[Any]):
    similar_projects = SimilarProjectSerializer(many=True)
    velocity_trends = VelocityTrendSerializer(source="velocity")
    success_indicators = SuccessIndicatorsSerializer(source="success")
    pattern_confidence = serializers.FloatField(source="confidence")


class HistoricalContextSerializer(serializers.Serializer[Any]):
    """The history part of the analysis; all null when pattern recognition did not run."""

    pattern_analysis = PatternAnalysisSerializer(allow_null=True, source="patterns")
    insights_summary = serializers.SerializerMethodField()
    data_quality_report = DataQualitySerializer(
        allow_null=True, source="patterns.data_quality", default=None
    )

    def get_insights_summary(self, outcome: OrchestrationOutcome) -> str | None:
        return outcome.patterns.insights_summary if outcome.patterns else None


class AnalysisSerializer(serializers.Serializer[OrchestrationOutcome]):
    backlog_tasks = serializers.IntegerField(source="state.backlog_tasks")
    unassigned_tasks = serializers.IntegerField(source="state.unassigned_tasks")
    active_sprints = serializers.SerializerMethodField()
    team_size = serializers.IntegerField(source="state.team_size")
    team_availability = serializers.SerializerMethodField()
    historical_context = HistoricalContextSerializer(source="*")

    @extend_schema_field(ActiveSprintSerializer(many=True))
    def get_active_sprints(self, outcome: OrchestrationOutcome) -> list[Any]:
        sprint = outcome.state.active_sprint
        return [ActiveSprintSerializer(sprint).data] if sprint else []

    @extend_schema_field(TeamAvailabilitySerializer)
    def get_team_availability(self, outcome: OrchestrationOutcome) -> Any:
        window = outcome.decision.window
        conflicts = window.conflicts if window else ()
        return TeamAvailabilitySerializer(
            {
                "status": "conflicts_detected" if conflicts else "available",
                "conflicts": conflicts,
                "window_start": window.start if window else None,
                "window_end": window.end if window else None,
                "capacity": round(float(window.capacity), 4) if window else None,
            }
        ).data


class ModificationSerializer(serializers.Serializer[Any]):
    original_recommendation = serializers.IntegerField(source="proposal.original")
    intelligence_recommendation = serializers.IntegerField(source="proposal.proposed")
    applied_value = serializers.IntegerField()
    applied = serializers.BooleanField()
    confidence = serializers.FloatField(source="proposal.confidence")
    evidence_source = serializers.CharField(source="proposal.evidence_source")
    rationale = serializers.CharField(source="proposal.rationale")
    gate_passed = serializers.BooleanField()
    rejection_reasons = serializers.ListField(child=serializers.CharField())


class IntelligenceAdjustmentsSerializer(serializers.Serializer[Any]):
    """Each key is present only when that adjustment was proposed."""

    task_count_modification = ModificationSerializer(required=False)
    sprint_duration_modification = ModificationSerializer(required=False)


class RuleBasedDecisionSerializer(serializers.Serializer[Any]):
    tasks_to_assign = serializers.IntegerField()
    sprint_duration_weeks = serializers.IntegerField()
    reasoning = serializers.CharField()


class ConfidenceScoresSerializer(serializers.Serializer[Any]):
    overall_decision_confidence = serializers.FloatField(
        allow_null=True, help_text="The pattern confidence; null without pattern analysis."
    )
    intelligence_threshold_met = serializers.BooleanField()
    minimum_threshold = serializers.FloatField()


class DecisionsSerializer(serializers.Serializer[OrchestrationOutcome]):
    create_new_sprint = serializers.BooleanField(source="decision.base.create_new_sprint")
    tasks_to_assign = serializers.IntegerField(source="decision.tasks_to_assign")
    sprint_duration_weeks = serializers.IntegerField(source="decision.sprint_duration_weeks")
    cronjob_created = serializers.BooleanField(source="execution.cronjob_created")
    sprint_closure_triggered = serializers.SerializerMethodField()
    sprint_id_to_close = serializers.CharField(
        source="decision.base.close_sprint_id", allow_null=True
    )
    sprint_name = serializers.SerializerMethodField()
    reasoning = serializers.SerializerMethodField()
    warnings = serializers.ListField(child=serializers.CharField(), source="decision.warnings")
    decision_source = serializers.ChoiceField(
        choices=[m.value for m in DecisionMode], source="decision.decision_source"
    )
    rule_based_decision = serializers.SerializerMethodField()
    intelligence_adjustments = serializers.SerializerMethodField()
    confidence_scores = serializers.SerializerMethodField()

    def get_sprint_closure_triggered(self, outcome: OrchestrationOutcome) -> bool:
        return outcome.decision.base.close_sprint_id is not None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_sprint_name(self, outcome: OrchestrationOutcome) -> str | None:
        return outcome.decision.base.new_sprint_id

    def get_reasoning(self, outcome: OrchestrationOutcome) -> str:
        return "; ".join(outcome.decision.reasoning)

    @extend_schema_field(RuleBasedDecisionSerializer)
    def get_rule_based_decision(self, outcome: OrchestrationOutcome) -> Any:
        base = outcome.decision.base
        return RuleBasedDecisionSerializer(
            {
                "tasks_to_assign": base.tasks_to_assign,
                "sprint_duration_weeks": base.sprint_duration_weeks,
                "reasoning": "; ".join(base.reasoning),
            }
        ).data

    @extend_schema_field(IntelligenceAdjustmentsSerializer)
    def get_intelligence_adjustments(self, outcome: OrchestrationOutcome) -> dict[str, Any]:
        keys = {
            AdjustmentKind.TASK_COUNT: "task_count_modification",
            AdjustmentKind.SPRINT_DURATION: "sprint_duration_modification",
        }
        return {
            keys[a.proposal.kind]: ModificationSerializer(a).data
            for a in outcome.decision.adjustments
        }

    @extend_schema_field(ConfidenceScoresSerializer)
    def get_confidence_scores(self, outcome: OrchestrationOutcome) -> Any:
        decision = outcome.decision
        return ConfidenceScoresSerializer(
            {
                "overall_decision_confidence": decision.overall_confidence,
                "intelligence_threshold_met": decision.threshold_met,
                "minimum_threshold": decision.minimum_threshold,
            }
        ).data


class AuditRecordSerializer(serializers.Serializer[Any]):
    """The decision audit of the call (docs/design.md §3.5): the stored row, or for a dry
    run the row it would have written (``id`` null)."""

    id = serializers.IntegerField(allow_null=True, help_text="Null for a dry run: nothing stored.")
    run_id = serializers.IntegerField(allow_null=True)
    dry_run = serializers.BooleanField()
    decision_source = serializers.ChoiceField(choices=[m.value for m in DecisionMode])
    base_decision = serializers.DictField()
    proposed_adjustments = serializers.ListField(child=serializers.DictField())
    applied_adjustments = serializers.ListField(child=serializers.DictField())
    final_decision = serializers.DictField()
    reasoning = serializers.CharField()
    sprint_opened = serializers.CharField(allow_null=True)


class OrchestrateResponseSerializer(serializers.Serializer[OrchestrationOutcome]):
    project_id = serializers.CharField()
    run_id = serializers.IntegerField(
        allow_null=True, help_text="The recorded performance run; null when recording is off."
    )
    dry_run = serializers.BooleanField()
    analysis = AnalysisSerializer(source="*")
    decisions = DecisionsSerializer(source="*")
    actions_taken = serializers.ListField(child=serializers.CharField(), source="execution.actions")
    cronjob_name = serializers.CharField(source="execution.cronjob_name", allow_null=True)
    sprint_id = serializers.CharField(source="execution.sprint_id", allow_null=True)
    decision_audit = AuditRecordSerializer(source="audit")
    performance_metrics = serializers.SerializerMethodField()

    @extend_schema_field(PERFORMANCE_METRICS_SCHEMA)
    def get_performance_metrics(
        self, outcome: OrchestrationOutcome
    ) -> PerformanceMetricsDict | None:
        if outcome.performance is None:
            return None
        return present_performance(outcome.performance)
