"""Intelligence refinement (docs/design.md §3.4): proposals, confidence gate, final decision."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from statistics import fmean

from .patterns import round_half_up
from .rules import describe_conflict
from .values import (
    Adjustment,
    AdjustmentKind,
    BaseDecision,
    Decision,
    DecisionConfig,
    DecisionMode,
    OrchestrationOptions,
    PatternAnalysis,
    Proposal,
    SprintWindow,
)

# weeks -> the window of a sprint that long and the rule count scaled for it.
Replan = Callable[[int], tuple[SprintWindow, int]]

PROPOSAL_SIMILARITY = 0.5
VELOCITY_CONFIDENCE = 0.5
MAX_PROPOSED_DURATION_WEEKS = 4


def propose_adjustments(base: BaseDecision, patterns: PatternAnalysis) -> tuple[Proposal, ...]:
    """Adjustments the history suggests for a sprint opened in this call."""
    if not base.create_new_sprint:
        return ()
    proposals = [
        p
        for p in (_propose_task_count(base, patterns), _propose_duration(base, patterns))
        if p is not None
    ]
    return tuple(proposals)


def _propose_task_count(base: BaseDecision, patterns: PatternAnalysis) -> Proposal | None:
    peers = [p for p in patterns.similar_projects if p.similarity_score > PROPOSAL_SIMILARITY]
    if base.tasks_to_assign == 0 or not peers:
        return None
    suggested = round_half_up(fmean(p.optimal_task_count for p in peers))
    if abs(base.tasks_to_assign - suggested) <= 1:
        return None
    names = ", ".join(p.project_id for p in peers)
    return Proposal(
        kind=AdjustmentKind.TASK_COUNT,
        original=base.tasks_to_assign,
        proposed=suggested,
        confidence=round(fmean(p.completion_rate for p in peers), 4),
        evidence_source=f"{len(peers)} similar project(s): {names}",
        rationale=(f"Similar projects complete the most with about {suggested} task(s) per sprint"),
        supporting_projects=len(peers),
    )


def _propose_duration(base: BaseDecision, patterns: PatternAnalysis) -> Proposal | None:
    velocity = patterns.velocity
    weeks = base.sprint_duration_weeks
    if velocity.confidence < VELOCITY_CONFIDENCE:
        return None
    if velocity.trend == "increasing" and weeks > 1:
        proposed, why = weeks - 1, "velocity is increasing, so shorter sprints give faster feedback"
    elif velocity.trend == "decreasing" and weeks < MAX_PROPOSED_DURATION_WEEKS:
        proposed, why = (
            weeks + 1,
            "velocity is decreasing, so a longer sprint leaves room to finish",
        )
    else:
        return None
    return Proposal(
        kind=AdjustmentKind.SPRINT_DURATION,
        original=weeks,
        proposed=proposed,
        confidence=velocity.confidence,
        evidence_source=(
            f"velocity trend over {velocity.sprints_analyzed} sprint(s), "
            f"slope {velocity.slope:+.2f}"
        ),
        rationale=why.capitalize(),
        supporting_projects=0,
    )


def gate_proposals(
    proposals: tuple[Proposal, ...],
    *,
    base: BaseDecision,
    config: DecisionConfig,
    options: OrchestrationOptions,
) -> tuple[Adjustment, ...]:
    """Pass each proposal through the confidence gate and decide whether it is applied.

    Only mode ``intelligence_enhanced`` applies passed proposals; a task count is also
    clamped to what can really be assigned, and is not applied when clamping undoes it.
    """
    adjustments = []
    for proposal in proposals:
        reasons = _gate_failures(proposal, config)
        value = proposal.proposed
        if proposal.kind == AdjustmentKind.TASK_COUNT:
            ceiling = min(base.available_tasks, options.max_tasks_per_sprint)
            value = min(max(value, 1), ceiling)
        passed = not reasons
        applied = (
            passed
            and config.mode == DecisionMode.INTELLIGENCE_ENHANCED
            and value != proposal.original
        )
        adjustments.append(
            Adjustment(
                proposal=proposal,
                applied_value=value if applied else proposal.original,
                gate_passed=passed,
                applied=applied,
                rejection_reasons=tuple(reasons),
            )
        )
    return tuple(adjustments)


def _gate_failures(proposal: Proposal, config: DecisionConfig) -> list[str]:
    reasons = []
    if proposal.confidence < config.confidence_threshold:
        reasons.append(
            f"confidence {proposal.confidence:.2f} is below the threshold "
            f"{config.confidence_threshold:.2f}"
        )
    if proposal.kind == AdjustmentKind.TASK_COUNT:
        if not config.enable_task_count_adjustment:
            reasons.append("task count adjustments are disabled for this project")
        if proposal.supporting_projects < config.min_similar_projects:
            reasons.append(
                f"backed by {proposal.supporting_projects} similar project(s), "
                f"{config.min_similar_projects} required"
            )
        change = abs(proposal.proposed - proposal.original) / proposal.original * 100
        if change > config.max_task_adjustment_percent:
            reasons.append(
                f"a change of {change:.0f}% exceeds the "
                f"{config.max_task_adjustment_percent:g}% limit"
            )
    elif not config.enable_sprint_duration_adjustment:
        reasons.append("sprint duration adjustments are disabled for this project")
    return reasons


def finalize_decision(
    base: BaseDecision,
    adjustments: tuple[Adjustment, ...],
    *,
    config: DecisionConfig,
    patterns: PatternAnalysis | None,
    warnings: tuple[str, ...] = (),
    replan: Replan | None = None,
) -> Decision:
    """Combine the base decision with the applied adjustments into what is executed.

    When the duration changes, ``replan(weeks)`` gives the window of the sprint really
    opened and the rule count scaled for it (the task count follows it unless
    intelligence set the count). When both adjustments apply, the planned throughput per
    week stays within ``max_task_adjustment_percent`` of the base's (docs/design.md §3.4).
    """
    tasks = base.tasks_to_assign
    weeks = base.sprint_duration_weeks
    reasoning = list(base.reasoning)
    for adjustment in adjustments:
        if adjustment.applied and adjustment.proposal.kind == AdjustmentKind.TASK_COUNT:
            tasks = adjustment.applied_value
        elif adjustment.applied:
            weeks = adjustment.applied_value
        reasoning.append(_adjustment_sentence(adjustment, config.mode))
    window = base.window
    all_warnings = base.warnings + warnings
    count_applied = _applied(adjustments, AdjustmentKind.TASK_COUNT)
    if weeks != base.sprint_duration_weeks and replan is not None:
        window, scaled = replan(weeks)
        if not count_applied and scaled != tasks:
            tasks = max(1, scaled)
        reasoning.append(
            f"The sprint runs {window.start.isoformat()} to {window.end.isoformat()}: "
            f"{len(window.conflicts)} availability conflict(s), team capacity "
            f"{round(float(window.capacity) * 100)}%, {tasks} task(s)"
        )
        others = base.warnings[base.conflict_warnings :]
        all_warnings = tuple(describe_conflict(c) for c in window.conflicts) + others + warnings
    if count_applied and weeks != base.sprint_duration_weeks:
        bounded = _bounded_throughput(base, tasks=tasks, weeks=weeks, config=config)
        if bounded != tasks:
            reasoning.append(
                f"Throughput kept within {config.max_task_adjustment_percent:g}% of the rule's "
                f"{base.tasks_to_assign} task(s) in {base.sprint_duration_weeks} week(s): "
                f"{bounded} task(s) in {weeks} week(s) instead of {tasks}"
            )
            tasks = bounded
            adjustments = tuple(
                replace(a, applied_value=tasks)
                if a.applied and a.proposal.kind == AdjustmentKind.TASK_COUNT
                else a
                for a in adjustments
            )
    confidence = patterns.confidence if patterns is not None else None
    applied = any(a.applied for a in adjustments)
    return Decision(
        base=base,
        tasks_to_assign=tasks,
        sprint_duration_weeks=weeks,
        decision_source=(
            DecisionMode.INTELLIGENCE_ENHANCED if applied else DecisionMode.RULE_BASED_ONLY
        ),
        adjustments=adjustments,
        reasoning=tuple(reasoning),
        warnings=all_warnings,
        overall_confidence=confidence,
        threshold_met=confidence is not None and confidence >= config.confidence_threshold,
        minimum_threshold=config.confidence_threshold,
        window=window,
    )


def _applied(adjustments: tuple[Adjustment, ...], kind: AdjustmentKind) -> bool:
    return any(a.applied and a.proposal.kind == kind for a in adjustments)


def _bounded_throughput(
    base: BaseDecision, *, tasks: int, weeks: int, config: DecisionConfig
) -> int:
    """``tasks`` moved into the range whose tasks per week differ from the base's by at
    most ``max_task_adjustment_percent``, and into [1, the task-count ceiling]."""
    per_week = Fraction(base.tasks_to_assign, base.sprint_duration_weeks)
    limit = Fraction(config.max_task_adjustment_percent) / 100
    low = math.ceil(per_week * (1 - limit) * weeks)
    high = math.floor(per_week * (1 + limit) * weeks)
    ceiling = base.rule_tasks or base.available_tasks
    return max(1, min(max(tasks, low), high, ceiling))


def _adjustment_sentence(adjustment: Adjustment, mode: DecisionMode) -> str:
    proposal = adjustment.proposal
    what = "task count" if proposal.kind == AdjustmentKind.TASK_COUNT else "sprint duration"
    head = (
        f"Intelligence proposes {what} {proposal.proposed} instead of {proposal.original} "
        f"(confidence {proposal.confidence:.2f}, {proposal.evidence_source})"
    )
    if adjustment.applied:
        return f"{head}: applied {adjustment.applied_value}"
    if adjustment.rejection_reasons:
        return f"{head}: not applied, {'; '.join(adjustment.rejection_reasons)}"
    if mode == DecisionMode.RULE_BASED_ONLY:
        return f"{head}: not applied, the project runs in rule_based_only mode"
    return f"{head}: not applied, only {adjustment.applied_value} task(s) can be assigned"
