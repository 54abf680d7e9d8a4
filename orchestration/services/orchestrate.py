"""The orchestration use case (docs/design.md §3): analyse, decide, act, audit, all measured."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from perfmetrics import conf as perfmetrics_conf
from perfmetrics import selectors as perf_selectors
from perfmetrics.measure import component
from perfmetrics.services import measured_transaction
from perfmetrics.values import DurationStats, RunResult, RunVerdict

from .. import selectors
from ..engine import rules
from ..engine.intelligence import finalize_decision, gate_proposals, propose_adjustments
from ..engine.schedule import schedule_name
from ..engine.values import (
    Decision,
    OrchestrationOptions,
    PatternAnalysis,
    ProjectState,
)
from ..exceptions import OrchestrationInProgressError, ProjectNotFoundError
from ..metric_names import PATTERN_ANALYSIS, RUN_NAME
from ..models import DecisionAudit, Project
from . import sprints
from .patterns import analyze_patterns

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Execution:
    actions: tuple[str, ...]
    sprint_id: str | None
    cronjob_name: str | None
    cronjob_created: bool


@dataclass(frozen=True)
class AuditRecord:
    """The decision audit of one call: stored for a real run (``id`` set), only reported
    for a dry run (``id`` None), docs/design.md §3.5."""

    id: int | None
    run_id: int | None
    dry_run: bool
    decision_source: str
    base_decision: dict[str, Any]
    proposed_adjustments: list[dict[str, Any]]
    applied_adjustments: list[dict[str, Any]]
    final_decision: dict[str, Any]
    reasoning: str
    sprint_opened: str | None


@dataclass(frozen=True)
class PerformanceSummary:
    """This run's measurements and verdict, and the project's recent runs."""

    run: RunResult
    verdict: RunVerdict
    total_orchestration: DurationStats
    pattern_analysis: DurationStats | None


@dataclass(frozen=True)
class OrchestrationOutcome:
    project_id: str
    run_id: int | None
    dry_run: bool
    state: ProjectState
    patterns: PatternAnalysis | None
    decision: Decision
    execution: Execution
    audit: AuditRecord
    performance: PerformanceSummary | None


def orchestrate_project(
    *,
    project_id: str,
    options: OrchestrationOptions,
    source: str = "api",
    labels: Mapping[str, str] | None = None,
    today: date | None = None,
    lock_timeout_ms: int | None = None,
) -> OrchestrationOutcome:
    """Analyse one project, decide, carry the decision out and record the run.

    Everything happens in one transaction under the project's row lock (none for a
    dry run, which changes nothing but is still recorded), so concurrent calls for
    one project are serialised and a crash leaves nothing half-done. With
    ``lock_timeout_ms`` the wait for the lock is bounded: past it,
    OrchestrationInProgressError, and nothing is written or recorded.
    """
    with measured_transaction(
        RUN_NAME,
        project_id=project_id,
        source=source,
        dry_run=options.dry_run,
        labels=labels,
        unrecorded=(ProjectNotFoundError, OrchestrationInProgressError),
    ) as run:
        with component("project_analysis"):
            project = _project(project_id, options, lock_timeout_ms)
            options = with_project_cadence(options, project)
            # "Today" is the project's day (docs/design.md §3.1, "Project cadence").
            day = today or timezone.localdate(timezone=ZoneInfo(project.time_zone))
            # Read once under the lock; the state, the closing and the opening all use it.
            team = selectors.team_member_ids(project_id)
            state = selectors.project_state(
                project, team=team, today=day, duration_weeks=options.sprint_duration_weeks
            )
        patterns, warnings = _patterns_or_warning(project_id, state, options)
        decision = _decide(state, patterns, options, warnings=warnings, today=day)
        with component("action_execution"):
            execution = _execute(project, state, decision, options, team=team, today=day)
            audit = _audit(
                project, decision, execution, run_id=run.record_id, dry_run=options.dry_run
            )
    return OrchestrationOutcome(
        project_id=project_id,
        run_id=run.record_id,
        dry_run=options.dry_run,
        state=state,
        patterns=patterns,
        decision=decision,
        execution=execution,
        audit=audit,
        performance=(
            summarize_performance(run.result, run.verdict) if run.result and run.verdict else None
        ),
    )


def with_project_cadence(options: OrchestrationOptions, project: Project) -> OrchestrationOptions:
    """The project's default duration and maximum tasks, for the options the request left
    out (``options.project_defaults``); request options always win."""
    weeks, tasks = project.default_sprint_duration_weeks, project.default_max_tasks_per_sprint
    if weeks is not None and "sprint_duration_weeks" in options.project_defaults:
        options = replace(options, sprint_duration_weeks=weeks)
    if tasks is not None and "max_tasks_per_sprint" in options.project_defaults:
        options = replace(options, max_tasks_per_sprint=tasks)
    return options


def _project(project_id: str, options: OrchestrationOptions, timeout_ms: int | None) -> Project:
    if options.dry_run:
        return selectors.get_project(project_id)
    if timeout_ms:
        return selectors.lock_project(project_id, timeout_ms=timeout_ms)
    return selectors.get_project(project_id, lock=True)


def summarize_performance(result: RunResult, verdict: RunVerdict) -> PerformanceSummary:
    """A committed run with its verdict, and the project's recent runs (one query over its
    newest ``PERFMETRICS["RESPONSE_WINDOW_RUNS"]`` runs)."""
    total, components = perf_selectors.recent_summary(
        project_id=result.project_id,
        name=RUN_NAME,
        last_runs=int(perfmetrics_conf.get("RESPONSE_WINDOW_RUNS")),
        components=(PATTERN_ANALYSIS,),
    )
    return PerformanceSummary(
        run=result,
        verdict=verdict,
        total_orchestration=total,
        pattern_analysis=components.get(PATTERN_ANALYSIS),
    )


def _patterns_or_warning(
    project_id: str, state: ProjectState, options: OrchestrationOptions
) -> tuple[PatternAnalysis | None, tuple[str, ...]]:
    """Pattern analysis in a savepoint: any failure degrades to the rule decision
    (docs/design.md §3.4, "Degradation"). Its component records the failure on the way
    out, and the traceback is logged."""
    if not options.enable_pattern_recognition:
        return None, ()
    try:
        with transaction.atomic():
            return analyze_patterns(project_id, team_size=state.team_size), ()
    except Exception as exc:  # the rule decision never depends on history
        logger.exception("pattern analysis failed for %s", project_id)
        return None, (f"Pattern analysis failed ({type(exc).__name__}); using the rule decision",)


@component("decision_making")
def _decide(
    state: ProjectState,
    patterns: PatternAnalysis | None,
    options: OrchestrationOptions,
    *,
    warnings: tuple[str, ...],
    today: date,
) -> Decision:
    config = selectors.project_decision_config(state.project_id).config
    base = rules.decide(state, options, today=today)
    proposals = propose_adjustments(base, patterns) if patterns is not None else ()
    with component("confidence_gating"):
        adjustments = gate_proposals(proposals, base=base, config=config, options=options)
    return finalize_decision(
        base,
        adjustments,
        config=config,
        patterns=patterns,
        warnings=warnings,
        replan=lambda weeks: rules.plan_for_weeks(
            state, options, today=today, weeks=weeks, rule_tasks=base.rule_tasks
        ),
    )


@dataclass
class _Progress:
    """What the actions of one call did so far; becomes the frozen Execution."""

    dry_run: bool
    sprint_id: str | None
    cronjob_name: str | None
    cronjob_created: bool = False
    actions: list[str] = field(default_factory=list)

    def report(self, done: str, planned: str) -> None:
        self.actions.append(f"[dry run] would {planned}" if self.dry_run else done)

    def freeze(self) -> Execution:
        return Execution(
            actions=tuple(self.actions) or ("No action needed",),
            sprint_id=self.sprint_id,
            cronjob_name=self.cronjob_name,
            cronjob_created=self.cronjob_created,
        )


def _execute(
    project: Project,
    state: ProjectState,
    decision: Decision,
    options: OrchestrationOptions,
    *,
    team: Sequence[str],
    today: date,
) -> Execution:
    """Carry the decision out (close, heal, open); a dry run only describes each step."""
    base = decision.base
    active = state.active_sprint
    progress = _Progress(
        dry_run=options.dry_run,
        sprint_id=active.sprint_id if active else None,
        cronjob_name=active.schedule_name if active else None,
    )
    if base.close_sprint_id is not None:
        _close(project, base.close_sprint_id, progress, team_size=len(team))
    if base.heal_schedule and active is not None:
        _heal(project, active.sprint_id, options.schedule, progress)
    if base.create_new_sprint:
        _open(project, state, decision, options, progress, team=team, today=today)
    return progress.freeze()


def _close(project: Project, sprint_id: str, progress: _Progress, *, team_size: int) -> None:
    if progress.dry_run:
        detail = "returning its pending tasks to the backlog"
    else:
        closed = sprints.close_sprint(project=project, sprint_id=sprint_id, team_size=team_size)
        detail = f"{closed.completed}/{closed.total} tasks completed, status {closed.status}"
    progress.report(f"Closed sprint {sprint_id} ({detail})", f"close sprint {sprint_id} ({detail})")
    progress.sprint_id = progress.cronjob_name = None


def _heal(project: Project, sprint_id: str, cron: str, progress: _Progress) -> None:
    if not progress.dry_run:
        progress.cronjob_name = sprints.create_schedule(project.sprints.get(pk=sprint_id), cron)
    progress.cronjob_created = True
    what = f"the daily-scrum schedule of sprint {sprint_id}"
    progress.report(f"Re-created {what}", f"re-create {what}")


def _open(
    project: Project,
    state: ProjectState,
    decision: Decision,
    options: OrchestrationOptions,
    progress: _Progress,
    *,
    team: Sequence[str],
    today: date,
) -> None:
    number, sprint_id = decision.base.new_sprint_number, decision.base.new_sprint_id
    if number is None or sprint_id is None:
        return
    create_schedule = decision.base.create_schedule
    if progress.dry_run:
        assigned = decision.tasks_to_assign
        progress.cronjob_name = schedule_name(project.pk, sprint_id) if create_schedule else None
    else:
        opened = sprints.open_sprint(
            project=project,
            number=number,
            duration_weeks=decision.sprint_duration_weeks,
            tasks_to_assign=decision.tasks_to_assign,
            decision_source=decision.decision_source,
            cron_schedule=options.schedule if create_schedule else None,
            # The sprint's first day: today, or the project's start weekday (§3.1).
            today=decision.window.start if decision.window else today,
            sprint_id=sprint_id,
            team=team,
            calendar=state.calendar,
        )
        assigned = len(opened.assigned_task_ids)
        progress.cronjob_name = opened.schedule_name
    progress.sprint_id = sprint_id
    what = (
        f"sprint {sprint_id} for {decision.sprint_duration_weeks} week(s) with {assigned} task(s)"
    )
    progress.report(f"Opened {what}", f"open {what}")
    if create_schedule:
        progress.cronjob_created = True
        what = f"daily-scrum schedule {progress.cronjob_name} ({options.schedule})"
        progress.report(f"Created {what}", f"create {what}")


def _audit(
    project: Project,
    decision: Decision,
    execution: Execution,
    *,
    run_id: int | None,
    dry_run: bool,
) -> AuditRecord:
    """The audit of this call; stored only for a real run (a dry run writes no domain row)."""
    opened = execution.sprint_id if decision.base.create_new_sprint and not dry_run else None
    record = AuditRecord(
        id=None,
        run_id=run_id,
        dry_run=dry_run,
        decision_source=decision.decision_source.value,
        base_decision=_json(asdict(decision.base)),
        proposed_adjustments=[_json(asdict(a.proposal)) for a in decision.adjustments],
        applied_adjustments=[
            _json(asdict(a.proposal)) | {"applied_value": a.applied_value}
            for a in decision.adjustments
            if a.applied
        ],
        final_decision={
            "tasks_to_assign": decision.tasks_to_assign,
            "sprint_duration_weeks": decision.sprint_duration_weeks,
            "decision_source": decision.decision_source.value,
            "actions": list(execution.actions),
        },
        reasoning="; ".join(decision.reasoning),
        sprint_opened=opened,
    )
    if dry_run:
        return record
    row = DecisionAudit.objects.create(
        project=project,
        run_id=run_id,
        dry_run=False,
        decision_source=record.decision_source,
        base_decision=record.base_decision,
        proposed_adjustments=record.proposed_adjustments,
        applied_adjustments=record.applied_adjustments,
        final_decision=record.final_decision,
        reasoning=record.reasoning,
        sprint_opened_id=opened,
    )
    return replace(record, id=row.pk)


def _json(value: Any) -> Any:
    """Dates and enums of an ``asdict`` tree as JSON-ready values."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return round(float(value), 4)
    return value
