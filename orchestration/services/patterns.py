"""Pattern analysis of one project: selectors feed the pure engine, each step timed."""

from __future__ import annotations

from perfmetrics.measure import component

from .. import selectors
from ..engine import patterns
from ..engine.values import PatternAnalysis
from ..metric_names import PATTERN_ANALYSIS
from .fleet import FleetFeatures

# This process's copy of every project's history features (see ``fleet``).
FLEET = FleetFeatures()


@component(PATTERN_ANALYSIS)
def analyze_patterns(project_id: str, *, team_size: int) -> PatternAnalysis:
    """Similar projects, velocity trend, success indicators, insights and data quality.

    Issues three queries whatever the size of the history: the project's closed
    sprints, its retrospective count, and the fleet's changes since this process last
    looked (its first call loads the whole fleet, in chunks).
    """
    outcomes = selectors.sprint_outcomes(project_id)
    with component("similarity_analysis"):
        target = patterns.compute_features(
            project_id=project_id, team_size=team_size, outcomes=outcomes
        )
        similar = FLEET.similar_to(target) if target is not None else ()
    with component("velocity_analysis"):
        velocity = patterns.analyze_velocity([o.completed_count for o in outcomes])
    with component("success_pattern_detection"):
        success = patterns.detect_success_patterns(similar)
    with component("insights_generation"):
        quality = patterns.assess_data_quality(
            outcomes=outcomes, retrospectives=selectors.retrospective_count(project_id)
        )
        summary = patterns.summarize_insights(
            similar=similar, velocity=velocity, success=success, quality=quality
        )
        confidence = patterns.pattern_confidence(
            similar=similar, velocity=velocity, quality=quality
        )
    return PatternAnalysis(
        similar_projects=similar,
        velocity=velocity,
        success=success,
        insights_summary=summary,
        confidence=confidence,
        data_quality=quality,
    )
