from __future__ import annotations

import pytest

from orchestration.engine.intelligence import (
    finalize_decision,
    gate_proposals,
    propose_adjustments,
)
from orchestration.engine.values import (
    AdjustmentKind,
    BaseDecision,
    DataQuality,
    DecisionConfig,
    DecisionMode,
    OrchestrationOptions,
    PatternAnalysis,
    Proposal,
    SimilarProject,
    SuccessIndicators,
    VelocityTrend,
)


def base(tasks: int = 10, weeks: int = 2, available: int = 20, create: bool = True) -> BaseDecision:
    return BaseDecision(
        close_sprint_id=None,
        closure_reason=None,
        create_new_sprint=create,
        new_sprint_number=1 if create else None,
        new_sprint_id="P-S01" if create else None,
        tasks_to_assign=tasks,
        sprint_duration_weeks=weeks,
        available_tasks=available,
        create_schedule=create,
        heal_schedule=False,
        reasoning=("rule",),
        warnings=(),
    )


def analysis(
    optimal: list[int] | None = None,
    rates: list[float] | None = None,
    trend: str = "stable",
    velocity_confidence: float = 0.0,
) -> PatternAnalysis:
    optimal = optimal or []
    rates = rates or [0.9] * len(optimal)
    similar = tuple(
        SimilarProject(f"S{i}", 0.9, 5, rate, 2.0, k)
        for i, (k, rate) in enumerate(zip(optimal, rates, strict=True))
    )
    return PatternAnalysis(
        similar_projects=similar,
        velocity=VelocityTrend(trend, 0.3, velocity_confidence, 5, 3, 7, 10),
        success=SuccessIndicators(None, None, 0.0, len(similar)),
        insights_summary="",
        confidence=0.7,
        data_quality=DataQuality(10, 10, 0.9, 8.0, 1.0, "high", ()),
    )


def proposal(kind=AdjustmentKind.TASK_COUNT, original=10, proposed=7, confidence=0.8, supporters=3):
    return Proposal(kind, original, proposed, confidence, "evidence", "why", supporters)


ENHANCED = DecisionConfig(mode=DecisionMode.INTELLIGENCE_ENHANCED)
OPTIONS = OrchestrationOptions()


def test_it_proposes_the_rounded_mean_optimal_count_of_similar_projects():
    proposals = propose_adjustments(
        base(tasks=10), analysis(optimal=[7, 8, 7], rates=[0.9, 0.8, 0.7])
    )

    assert len(proposals) == 1
    assert proposals[0].kind == AdjustmentKind.TASK_COUNT
    assert proposals[0].proposed == 7
    assert proposals[0].confidence == pytest.approx(0.8)
    assert proposals[0].supporting_projects == 3


def test_a_difference_of_one_task_is_not_worth_a_proposal():
    assert propose_adjustments(base(tasks=10), analysis(optimal=[9, 9, 9])) == ()


def test_nothing_is_proposed_when_no_sprint_opens():
    assert propose_adjustments(base(create=False), analysis(optimal=[5, 5, 5])) == ()


@pytest.mark.parametrize(
    ("trend", "weeks", "expected"),
    [
        ("increasing", 2, 1),
        ("increasing", 1, None),
        ("decreasing", 2, 3),
        ("decreasing", 4, None),
        ("decreasing", 6, None),
        ("stable", 2, None),
    ],
)
def test_duration_follows_the_velocity_trend_within_one_and_four_weeks(trend, weeks, expected):
    proposals = propose_adjustments(
        base(weeks=weeks), analysis(trend=trend, velocity_confidence=0.6)
    )

    assert [p.proposed for p in proposals] == ([expected] if expected else [])


def test_a_duration_proposal_needs_velocity_confidence_of_one_half():
    assert propose_adjustments(base(), analysis(trend="increasing", velocity_confidence=0.49)) == ()
    assert (
        len(propose_adjustments(base(), analysis(trend="increasing", velocity_confidence=0.5))) == 1
    )


@pytest.mark.parametrize(("confidence", "passed"), [(0.49, False), (0.5, True), (0.51, True)])
def test_the_gate_accepts_confidence_at_or_above_the_threshold(confidence, passed):
    (adjustment,) = gate_proposals(
        (proposal(confidence=confidence),), base=base(), config=ENHANCED, options=OPTIONS
    )

    assert adjustment.gate_passed is passed
    assert adjustment.applied is passed


@pytest.mark.parametrize(("supporters", "passed"), [(2, False), (3, True)])
def test_a_task_count_change_needs_enough_similar_projects(supporters, passed):
    (adjustment,) = gate_proposals(
        (proposal(supporters=supporters),), base=base(), config=ENHANCED, options=OPTIONS
    )

    assert adjustment.gate_passed is passed


@pytest.mark.parametrize(("proposed", "passed"), [(5, True), (4, False), (15, True), (16, False)])
def test_a_task_count_change_is_limited_to_the_max_adjustment_percent(proposed, passed):
    (adjustment,) = gate_proposals(
        (proposal(original=10, proposed=proposed),),
        base=base(),
        config=ENHANCED,
        options=OrchestrationOptions(max_tasks_per_sprint=100),
    )

    assert adjustment.gate_passed is passed


def test_rule_based_only_mode_audits_a_passed_proposal_without_applying_it():
    config = DecisionConfig(mode=DecisionMode.RULE_BASED_ONLY)
    adjustments = gate_proposals((proposal(),), base=base(), config=config, options=OPTIONS)

    decision = finalize_decision(base(), adjustments, config=config, patterns=analysis())

    assert adjustments[0].gate_passed
    assert not adjustments[0].applied
    assert decision.tasks_to_assign == 10
    assert decision.decision_source == DecisionMode.RULE_BASED_ONLY
    assert "rule_based_only" in decision.reasoning[-1]


def test_an_applied_proposal_changes_the_final_decision():
    adjustments = gate_proposals(
        (proposal(proposed=7), proposal(AdjustmentKind.SPRINT_DURATION, 2, 3, 0.6, 0)),
        base=base(),
        config=ENHANCED,
        options=OPTIONS,
    )

    decision = finalize_decision(base(), adjustments, config=ENHANCED, patterns=analysis())

    # 7 tasks in 3 weeks would plan 53% less per week than 10 in 2; 8 stays within 50%.
    assert (decision.tasks_to_assign, decision.sprint_duration_weeks) == (8, 3)
    assert decision.decision_source == DecisionMode.INTELLIGENCE_ENHANCED
    assert decision.overall_confidence == 0.7
    assert decision.threshold_met


def test_one_adjustment_alone_is_not_bounded_by_throughput():
    adjustments = gate_proposals(
        (proposal(proposed=6),), base=base(), config=ENHANCED, options=OPTIONS
    )

    decision = finalize_decision(base(), adjustments, config=ENHANCED, patterns=analysis())

    assert (decision.tasks_to_assign, decision.sprint_duration_weeks) == (6, 2)


def test_a_larger_task_count_is_clamped_to_what_can_be_assigned():
    (adjustment,) = gate_proposals(
        (proposal(original=10, proposed=14),),
        base=base(available=12),
        config=ENHANCED,
        options=OPTIONS_MAX_20,
    )

    assert adjustment.applied_value == 12


def test_a_proposal_undone_by_clamping_is_not_applied():
    (adjustment,) = gate_proposals(
        (proposal(original=10, proposed=14),),
        base=base(available=10),
        config=ENHANCED,
        options=OPTIONS_MAX_20,
    )

    assert not adjustment.applied
    assert adjustment.applied_value == 10


def test_disabled_adjustments_fail_the_gate():
    config = DecisionConfig(
        enable_task_count_adjustment=False, enable_sprint_duration_adjustment=False
    )
    adjustments = gate_proposals(
        (proposal(), proposal(AdjustmentKind.SPRINT_DURATION, 2, 3, 0.6, 0)),
        base=base(),
        config=config,
        options=OPTIONS,
    )

    assert [a.gate_passed for a in adjustments] == [False, False]


def test_without_pattern_analysis_there_is_no_overall_confidence():
    decision = finalize_decision(base(), (), config=ENHANCED, patterns=None)

    assert decision.overall_confidence is None
    assert not decision.threshold_met


OPTIONS_MAX_20 = OrchestrationOptions(max_tasks_per_sprint=20)
