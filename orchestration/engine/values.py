"""Frozen values that flow between the selectors, the engine and the services."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from fractions import Fraction


class DecisionMode(StrEnum):
    RULE_BASED_ONLY = "rule_based_only"
    INTELLIGENCE_ENHANCED = "intelligence_enhanced"


class ConflictType(StrEnum):
    HOLIDAY = "holiday"
    PTO = "pto"


class ClosureReason(StrEnum):
    ALL_TASKS_COMPLETED = "all_tasks_completed"
    END_DATE_PASSED = "end_date_passed"


class AdjustmentKind(StrEnum):
    TASK_COUNT = "task_count"
    SPRINT_DURATION = "sprint_duration"


@dataclass(frozen=True)
class OrchestrationOptions:
    create_sprint_if_needed: bool = True
    assign_tasks: bool = True
    create_cronjob: bool = True
    schedule: str = "0 14 * * 1-5"
    sprint_duration_weeks: int = 2
    max_tasks_per_sprint: int = 10
    enable_pattern_recognition: bool = True
    dry_run: bool = False
    capacity_planning: bool = True
    # Options the request left out, which the project's own defaults may fill
    # (docs/design.md §3.1, "Project cadence").
    project_defaults: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DecisionConfig:
    mode: DecisionMode = DecisionMode.INTELLIGENCE_ENHANCED
    confidence_threshold: float = 0.5
    enable_task_count_adjustment: bool = True
    enable_sprint_duration_adjustment: bool = True
    min_similar_projects: int = 3
    max_task_adjustment_percent: float = 50.0


@dataclass(frozen=True)
class TaskSummary:
    total: int
    completed: int

    @property
    def pending(self) -> int:
        return self.total - self.completed


@dataclass(frozen=True)
class ActiveSprint:
    sprint_id: str
    sprint_name: str
    start_date: date
    end_date: date
    duration_weeks: int
    tasks: TaskSummary
    schedule_name: str | None
    schedule_active: bool


@dataclass(frozen=True)
class Conflict:
    type: ConflictType
    date: date
    name: str
    details: str


@dataclass(frozen=True)
class HolidayDay:
    date: date
    name: str
    details: str


@dataclass(frozen=True)
class Absence:
    """One PTO of a team member."""

    employee_id: str
    name: str
    start: date
    end: date
    details: str


@dataclass(frozen=True)
class Calendar:
    """Holidays and the team's PTO over a window wide enough for any sprint of the call."""

    holidays: tuple[HolidayDay, ...] = ()
    absences: tuple[Absence, ...] = ()


@dataclass(frozen=True)
class SprintWindow:
    """The days of the sprint being planned (or the rest of the running one), with the
    availability conflicts and the team capacity over them (docs/design.md §3.2)."""

    start: date
    end: date
    conflicts: tuple[Conflict, ...]
    capacity: Fraction
    working_days: int


@dataclass(frozen=True)
class ProjectState:
    """What the rules need to know about one project at one moment."""

    project_id: str
    backlog_tasks: int
    unassigned_tasks: int
    active_sprint: ActiveSprint | None
    team_size: int
    next_sprint_number: int
    # The members by id, and their holidays and PTO from today on (docs/design.md §3.2).
    team: tuple[str, ...] = ()
    calendar: Calendar = Calendar()
    # The weekday (0 = Monday) the project's sprints start on; None: the day of opening.
    start_weekday: int | None = None


# --- history and patterns -------------------------------------------------------------


@dataclass(frozen=True)
class SprintOutcome:
    """One closed sprint: how many tasks it held and how many were completed."""

    sprint_id: str
    task_count: int
    completed_count: int
    duration_weeks: int

    @property
    def completion_rate(self) -> float:
        return self.completed_count / self.task_count if self.task_count else 0.0


@dataclass(frozen=True)
class HistoryFeatures:
    project_id: str
    team_size: int
    closed_sprints: int
    mean_tasks_per_sprint: float
    mean_completion_rate: float
    mean_duration_weeks: float
    mean_velocity: float
    optimal_task_count: int


# ProjectHistoryFeatures stores these under the same names.
HISTORY_FEATURE_FIELDS = tuple(field.name for field in fields(HistoryFeatures))


@dataclass(frozen=True)
class SimilarProject:
    project_id: str
    similarity_score: float
    team_size: int
    completion_rate: float
    avg_sprint_duration: float
    optimal_task_count: int


@dataclass(frozen=True)
class VelocityTrend:
    trend: str  # "increasing" | "decreasing" | "stable"
    slope: float
    confidence: float
    current_velocity: int
    historical_min: int
    historical_max: int
    sprints_analyzed: int


@dataclass(frozen=True)
class SuccessIndicators:
    optimal_tasks_per_sprint: int | None
    recommended_duration_weeks: int | None
    success_probability: float
    projects_analyzed: int


@dataclass(frozen=True)
class DataQuality:
    closed_sprints: int
    retrospectives: int
    avg_completion_rate: float
    avg_velocity: float
    completeness_score: float
    quality_level: str  # "high" | "medium" | "low"
    issues: tuple[str, ...]


@dataclass(frozen=True)
class PatternAnalysis:
    similar_projects: tuple[SimilarProject, ...]
    velocity: VelocityTrend
    success: SuccessIndicators
    insights_summary: str
    confidence: float
    data_quality: DataQuality


# --- decisions ------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseDecision:
    """The rule-based decision of docs/design.md §3.3."""

    close_sprint_id: str | None
    closure_reason: ClosureReason | None
    create_new_sprint: bool
    new_sprint_number: int | None
    # The single computation of the new sprint's id; every later step reads it from here.
    new_sprint_id: str | None
    tasks_to_assign: int
    sprint_duration_weeks: int
    available_tasks: int
    create_schedule: bool
    heal_schedule: bool
    reasoning: tuple[str, ...]
    warnings: tuple[str, ...]
    # min(available, max_tasks_per_sprint) before capacity scaling: the task-count ceiling.
    rule_tasks: int = 0
    window: SprintWindow | None = None
    # The availability warnings lead ``warnings``; this many of them.
    conflict_warnings: int = 0


@dataclass(frozen=True)
class Proposal:
    kind: AdjustmentKind
    original: int
    proposed: int
    confidence: float
    evidence_source: str
    rationale: str
    supporting_projects: int


@dataclass(frozen=True)
class Adjustment:
    """A proposal after the confidence gate: whether it was applied and why not."""

    proposal: Proposal
    applied_value: int
    gate_passed: bool
    applied: bool
    rejection_reasons: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    """The final decision: the base decision plus the adjustments that were applied."""

    base: BaseDecision
    tasks_to_assign: int
    sprint_duration_weeks: int
    decision_source: DecisionMode
    adjustments: tuple[Adjustment, ...]
    reasoning: tuple[str, ...]
    warnings: tuple[str, ...]
    overall_confidence: float | None
    threshold_met: bool
    minimum_threshold: float
    window: SprintWindow | None = None

    def adjustment(self, kind: AdjustmentKind) -> Adjustment | None:
        return next((a for a in self.adjustments if a.proposal.kind == kind), None)
