"""Read-only views of the pattern analysis (docs/design.md §4) and of a project's status.

Nothing here writes; the pattern analysis is the same one orchestration runs, so
these endpoints always agree with what an orchestration call would see.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import selectors
from ..engine import patterns
from ..engine.values import PatternAnalysis, SprintOutcome, VelocityTrend
from .patterns import analyze_patterns


@dataclass(frozen=True)
class ProjectInsights:
    project_id: str
    analysis: PatternAnalysis


@dataclass(frozen=True)
class VelocityHistory:
    """The velocity trend and the closed sprints it was computed from (oldest first)."""

    project_id: str
    velocity: VelocityTrend
    recent_sprints: tuple[SprintOutcome, ...]


@dataclass(frozen=True)
class StatusReport:
    overview: selectors.ProjectOverview
    insights: PatternAnalysis


def project_insights(project_id: str) -> ProjectInsights:
    """The full pattern analysis of one project; ProjectNotFoundError. Four queries."""
    team_size = selectors.project_team_size(project_id)
    return ProjectInsights(
        project_id=project_id, analysis=analyze_patterns(project_id, team_size=team_size)
    )


def velocity_history(project_id: str) -> VelocityHistory:
    """The velocity trend over the last closed sprints; ProjectNotFoundError. Two queries."""
    selectors.get_project(project_id)
    outcomes = selectors.sprint_outcomes(project_id)
    return VelocityHistory(
        project_id=project_id,
        velocity=patterns.analyze_velocity([o.completed_count for o in outcomes]),
        recent_sprints=tuple(outcomes[-patterns.VELOCITY_WINDOW :]),
    )


def project_status(project_id: str) -> StatusReport:
    """Sprint, backlog, schedules and the pattern insights of one project.

    The insights are computed on request (a constant number of queries, see
    ``analyze_patterns``) rather than cached, so they reflect the latest closed sprint.
    """
    overview = selectors.project_overview(project_id)
    return StatusReport(
        overview=overview,
        insights=analyze_patterns(project_id, team_size=overview.team_size),
    )
