"""The rule-based decision (docs/design.md §3.3)."""

from __future__ import annotations

from datetime import date

from .values import (
    ActiveSprint,
    BaseDecision,
    ClosureReason,
    Conflict,
    ConflictType,
    OrchestrationOptions,
    ProjectState,
)


def sprint_identifier(project_id: str, number: int) -> str:
    """``TEST-001`` and 3 give ``TEST-001-S03``; numbers past 99 keep counting."""
    return f"{project_id}-S{number:02d}"


def closure_reason(sprint: ActiveSprint, *, today: date) -> ClosureReason | None:
    """Why ``sprint`` must close today, or None when it stays open.

    A sprint without tasks is not "all completed": it closes at its end date.
    """
    if sprint.tasks.total > 0 and sprint.tasks.pending == 0:
        return ClosureReason.ALL_TASKS_COMPLETED
    if today > sprint.end_date:
        return ClosureReason.END_DATE_PASSED
    return None


def describe_conflict(conflict: Conflict) -> str:
    label = "Holiday" if conflict.type == ConflictType.HOLIDAY else "PTO"
    return f"{label} on {conflict.date.isoformat()}: {conflict.name} ({conflict.details})"


def decide(state: ProjectState, options: OrchestrationOptions, *, today: date) -> BaseDecision:
    """Decide what to do with one project today, from its state and the request options."""
    reasoning: list[str] = []
    warnings = [describe_conflict(c) for c in state.conflicts]
    if state.conflicts:
        reasoning.append(
            f"{len(state.conflicts)} availability conflict(s) in the sprint window "
            "(holidays or PTO); they do not block planning"
        )

    active = state.active_sprint
    close_id: str | None = None
    reason: ClosureReason | None = None
    heal = False
    available = state.unassigned_tasks
    if active is not None:
        reason = closure_reason(active, today=today)
        if reason is not None:
            close_id = active.sprint_id
            available += active.tasks.pending
            reasoning.append(_closure_sentence(active, reason))
        else:
            reasoning.append(
                f"Sprint {active.sprint_id} stays open: {active.tasks.completed} of "
                f"{active.tasks.total} tasks completed, ends {active.end_date.isoformat()}"
            )
            # Self-heal re-creates a missing schedule only: an inactive one of an open
            # sprint was switched off by an operator and stays off (§3.3, rule 4).
            heal = options.create_cronjob and active.schedule_name is None
            if heal:
                reasoning.append("Its daily-scrum schedule is missing and will be re-created")
            elif not active.schedule_active and active.schedule_name is not None:
                reasoning.append(
                    "Its daily-scrum schedule was deactivated by an operator and stays off"
                )

    create = False
    tasks = 0
    new_id: str | None = None
    if active is not None and close_id is None:
        pass
    elif not options.create_sprint_if_needed:
        reasoning.append("No active sprint, and opening sprints is disabled by the request")
    elif available == 0:
        reasoning.append("No active sprint and no unassigned tasks: nothing to plan")
    else:
        create = True
        new_id = sprint_identifier(state.project_id, state.next_sprint_number)
        tasks = min(available, options.max_tasks_per_sprint) if options.assign_tasks else 0
        reasoning.append(
            f"No active sprint and {available} unassigned task(s): open {new_id} with {tasks} "
            f"task(s) for {options.sprint_duration_weeks} week(s)"
        )
        if tasks and state.team_size == 0:
            warnings.append(
                "The project has no team members: tasks keep their assignee or stay unassigned"
            )

    return BaseDecision(
        close_sprint_id=close_id,
        closure_reason=reason,
        create_new_sprint=create,
        new_sprint_number=state.next_sprint_number if create else None,
        new_sprint_id=new_id,
        tasks_to_assign=tasks,
        sprint_duration_weeks=options.sprint_duration_weeks,
        available_tasks=available,
        create_schedule=create and options.create_cronjob,
        heal_schedule=heal,
        reasoning=tuple(reasoning),
        warnings=tuple(warnings),
    )


def _closure_sentence(sprint: ActiveSprint, reason: ClosureReason) -> str:
    if reason == ClosureReason.ALL_TASKS_COMPLETED:
        return (
            f"All {sprint.tasks.total} task(s) of sprint {sprint.sprint_id} are completed: close it"
        )
    return (
        f"Sprint {sprint.sprint_id} ended on {sprint.end_date.isoformat()} with "
        f"{sprint.tasks.pending} of {sprint.tasks.total} task(s) pending: close it and return "
        "them to the backlog"
    )
