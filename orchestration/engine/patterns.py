"""Pattern recognition over sprint history (docs/design.md §4), deterministic and pure.

Similarity of projects (the features, their standardisation and the kernel) lives in
``similarity``; this module derives the features and what the similar projects say.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from statistics import fmean

from .similarity import MAX_SIMILAR_PROJECTS as MAX_SIMILAR_PROJECTS
from .similarity import SIMILARITY_THRESHOLD as SIMILARITY_THRESHOLD
from .similarity import FeatureMatrix, feature_row
from .values import (
    DataQuality,
    HistoryFeatures,
    SimilarProject,
    SprintOutcome,
    SuccessIndicators,
    VelocityTrend,
)

VELOCITY_WINDOW = 10
TREND_SLOPE = 0.1
SUCCESSFUL_COMPLETION_RATE = 0.8


def round_half_up(value: float) -> int:
    """``round`` without banker's rounding: 2.5 gives 3."""
    return math.floor(value + 0.5)


def compute_features(
    *, project_id: str, team_size: int, outcomes: Sequence[SprintOutcome]
) -> HistoryFeatures | None:
    """History features of one project from its closed sprints; None without history."""
    if not outcomes:
        return None
    return HistoryFeatures(
        project_id=project_id,
        team_size=team_size,
        closed_sprints=len(outcomes),
        mean_tasks_per_sprint=fmean(o.task_count for o in outcomes),
        mean_completion_rate=fmean(o.completion_rate for o in outcomes),
        mean_duration_weeks=fmean(o.duration_weeks for o in outcomes),
        mean_velocity=fmean(o.completed_count for o in outcomes),
        optimal_task_count=optimal_task_count(outcomes),
    )


def optimal_task_count(outcomes: Sequence[SprintOutcome]) -> int:
    """The sprint size with the best mean completion rate; ties go to the larger size."""
    rates: dict[int, list[float]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.task_count > 0:
            rates[outcome.task_count].append(outcome.completion_rate)
    if not rates:
        return 0
    return max(rates, key=lambda size: (fmean(rates[size]), size))


def find_similar_projects(
    target: HistoryFeatures,
    candidates: Sequence[HistoryFeatures],
    *,
    threshold: float = SIMILARITY_THRESHOLD,
    limit: int = MAX_SIMILAR_PROJECTS,
) -> tuple[SimilarProject, ...]:
    """The candidates at least ``threshold`` similar to ``target``, best first (ties by
    project id), at most ``limit``; ``target`` itself is skipped.

    ``candidates`` are the population: every project with history, whose spread
    standardises the features. The service keeps that population in a long-lived
    ``FeatureMatrix`` instead of building one per call.
    """
    matrix = FeatureMatrix.of(feature_row(c) for c in candidates)
    return matrix.similar_to(target, threshold=threshold, limit=limit)


def analyze_velocity(completed_counts: Sequence[int]) -> VelocityTrend:
    """Least-squares trend of completed tasks over the last sprints (oldest first)."""
    recent = list(completed_counts)[-VELOCITY_WINDOW:]
    n = len(recent)
    slope = _least_squares_slope(recent)
    if slope > TREND_SLOPE:
        trend = "increasing"
    elif slope < -TREND_SLOPE:
        trend = "decreasing"
    else:
        trend = "stable"
    confidence = min(n / VELOCITY_WINDOW, 1.0) * (1.0 - abs(slope))
    return VelocityTrend(
        trend=trend,
        slope=round(slope, 4),
        confidence=round(min(max(confidence, 0.0), 1.0), 4),
        current_velocity=recent[-1] if recent else 0,
        historical_min=min(recent, default=0),
        historical_max=max(recent, default=0),
        sprints_analyzed=n,
    )


def _least_squares_slope(values: Sequence[int]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    x_mean = (n - 1) / 2
    y_mean = fmean(values)
    numerator = sum((x - x_mean) * (y - y_mean) for x, y in enumerate(values))
    denominator = sum((x - x_mean) ** 2 for x in range(n))
    return numerator / denominator


def detect_success_patterns(similar: Sequence[SimilarProject]) -> SuccessIndicators:
    """What worked for the similar projects."""
    if not similar:
        return SuccessIndicators(
            optimal_tasks_per_sprint=None,
            recommended_duration_weeks=None,
            success_probability=0.0,
            projects_analyzed=0,
        )
    successful = sum(1 for p in similar if p.completion_rate > SUCCESSFUL_COMPLETION_RATE)
    return SuccessIndicators(
        optimal_tasks_per_sprint=round_half_up(fmean(p.optimal_task_count for p in similar)),
        recommended_duration_weeks=max(
            1, round_half_up(fmean(p.avg_sprint_duration for p in similar))
        ),
        success_probability=round(successful / len(similar), 4),
        projects_analyzed=len(similar),
    )


def assess_data_quality(*, outcomes: Sequence[SprintOutcome], retrospectives: int) -> DataQuality:
    """How much the project's own history can be trusted.

    completeness = mean of: closed sprints towards 10, retrospective coverage, and the
    share of closed sprints with a task snapshot.
    """
    closed = len(outcomes)
    issues: list[str] = []
    if closed < 3:
        issues.append(f"Only {closed} closed sprint(s); trends need at least 3")
    if closed and retrospectives < closed:
        issues.append(f"{closed - retrospectives} closed sprint(s) have no retrospective")
    with_tasks = sum(1 for o in outcomes if o.task_count > 0)
    if with_tasks < closed:
        issues.append(f"{closed - with_tasks} closed sprint(s) have no task snapshot")
    if closed:
        completeness = fmean(
            [
                min(closed / VELOCITY_WINDOW, 1.0),
                min(retrospectives / closed, 1.0),
                with_tasks / closed,
            ]
        )
    else:
        completeness = 0.0
    level = "high" if completeness >= 0.8 else "medium" if completeness >= 0.5 else "low"
    return DataQuality(
        closed_sprints=closed,
        retrospectives=retrospectives,
        avg_completion_rate=round(fmean(o.completion_rate for o in outcomes), 4) if closed else 0.0,
        avg_velocity=round(fmean(o.completed_count for o in outcomes), 2) if closed else 0.0,
        completeness_score=round(completeness, 4),
        quality_level=level,
        issues=tuple(issues),
    )


def pattern_confidence(
    *, similar: Sequence[SimilarProject], velocity: VelocityTrend, quality: DataQuality
) -> float:
    """Mean of the similarity evidence, the velocity confidence and the data completeness.

    Similarity evidence is the mean similarity score, scaled down below three projects.
    """
    evidence = (
        min(len(similar) / 3, 1.0) * fmean(p.similarity_score for p in similar) if similar else 0.0
    )
    return round(fmean([evidence, velocity.confidence, quality.completeness_score]), 4)


def summarize_insights(
    *,
    similar: Sequence[SimilarProject],
    velocity: VelocityTrend,
    success: SuccessIndicators,
    quality: DataQuality,
) -> str:
    """One readable paragraph of what the history says."""
    if quality.closed_sprints == 0:
        history = "No closed sprints yet, so the project's own history says nothing"
    else:
        history = (
            f"Velocity is {velocity.trend} over the last {velocity.sprints_analyzed} sprint(s) "
            f"(slope {velocity.slope:+.2f}, current {velocity.current_velocity} task(s))"
        )
    if similar:
        best = similar[0]
        peers = (
            f"{len(similar)} similar project(s), closest {best.project_id} "
            f"({best.similarity_score:.2f}); they finish best with about "
            f"{success.optimal_tasks_per_sprint} task(s) per sprint and "
            f"{success.success_probability:.0%} of them complete over 80% of their tasks"
        )
    else:
        peers = "no similar projects with history were found"
    return f"{history}; {peers}; data quality is {quality.quality_level}."
