"""The rule-based decision (docs/design.md §3.3)."""

from __future__ import annotations

from datetime import date, timedelta

from .availability import scale_by_capacity, sprint_window
from .values import (
    ActiveSprint,
    BaseDecision,
    ClosureReason,
    Conflict,
    ConflictType,
    OrchestrationOptions,
    ProjectState,
    SprintWindow,
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


def sprint_start(today: date, weekday: int | None) -> date:
    """The first day of a sprint opened today: today, or the next ``weekday``
    (0 = Monday) on or after today."""
    if weekday is None:
        return today
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def opening_window(state: ProjectState, *, today: date, weeks: int) -> SprintWindow:
    """The window of a sprint opened today for ``weeks`` weeks: its first to its last day."""
    start = sprint_start(today, state.start_weekday)
    return sprint_window(
        state.calendar, state.team, start=start, end=start + timedelta(weeks=weeks, days=-1)
    )


def plan_for_weeks(
    state: ProjectState,
    options: OrchestrationOptions,
    *,
    today: date,
    weeks: int,
    rule_tasks: int,
) -> tuple[SprintWindow, int]:
    """The window of a sprint of ``weeks`` weeks and the rule count scaled for it; what
    the intelligence step calls when it changes the duration (docs/design.md §3.4)."""
    window = opening_window(state, today=today, weeks=weeks)
    return window, planned_tasks(rule_tasks, window, state=state, options=options)


def decide(state: ProjectState, options: OrchestrationOptions, *, today: date) -> BaseDecision:
    """Decide what to do with one project today, from its state and the request options."""
    reasoning: list[str] = []
    warnings: list[str] = []

    active = state.active_sprint
    close_id: str | None = None
    reason: ClosureReason | None = None
    heal = False
    window: SprintWindow | None = None
    available = state.unassigned_tasks
    if active is not None:
        reason = closure_reason(active, today=today)
        if reason is not None:
            close_id = active.sprint_id
            available += active.tasks.pending
            reasoning.append(_closure_sentence(active, reason))
        else:
            # The running sprint's remaining days (docs/design.md §3.2).
            window = sprint_window(state.calendar, state.team, start=today, end=active.end_date)
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
    rule_tasks = 0
    new_id: str | None = None
    weeks = options.sprint_duration_weeks
    if active is not None and close_id is None:
        pass
    elif not options.create_sprint_if_needed:
        reasoning.append("No active sprint, and opening sprints is disabled by the request")
    elif available == 0:
        reasoning.append("No active sprint and no unassigned tasks: nothing to plan")
    elif not options.assign_tasks:
        reasoning.append(
            f"No active sprint and {available} unassigned task(s), but assign_tasks is false: "
            "a sprint without tasks is not opened"
        )
    else:
        rule_tasks = min(available, options.max_tasks_per_sprint)
        window = opening_window(state, today=today, weeks=weeks)
        tasks = planned_tasks(rule_tasks, window, state=state, options=options)
        new_id = sprint_identifier(state.project_id, state.next_sprint_number)
        if tasks == 0:
            reasoning.append(
                f"No active sprint and {available} unassigned task(s), but nobody on the team "
                f"is available from {window.start.isoformat()} to {window.end.isoformat()} "
                "(holidays and PTO): a sprint without tasks is not opened"
            )
            new_id = None
        else:
            create = True
            reasoning.append(
                f"No active sprint and {available} unassigned task(s): open {new_id} with "
                f"{tasks} task(s) for {weeks} week(s)"
            )
            if state.team:
                reasoning.append(capacity_sentence(window, rule_tasks, tasks, options))
            elif tasks:
                warnings.append(
                    "The project has no team members: tasks keep their assignee or stay unassigned"
                )

    conflicts = window.conflicts if window is not None else ()
    if conflicts:
        reasoning.insert(
            0,
            f"{len(conflicts)} availability conflict(s) in the sprint window "
            "(holidays or PTO); they do not block planning",
        )
    return BaseDecision(
        close_sprint_id=close_id,
        closure_reason=reason,
        create_new_sprint=create,
        new_sprint_number=state.next_sprint_number if create else None,
        new_sprint_id=new_id,
        tasks_to_assign=tasks,
        sprint_duration_weeks=weeks,
        available_tasks=available,
        create_schedule=create and options.create_cronjob,
        heal_schedule=heal,
        reasoning=tuple(reasoning),
        warnings=tuple(describe_conflict(c) for c in conflicts) + tuple(warnings),
        rule_tasks=rule_tasks,
        window=window,
        conflict_warnings=len(conflicts),
    )


def planned_tasks(
    rule_tasks: int, window: SprintWindow, *, state: ProjectState, options: OrchestrationOptions
) -> int:
    """The rule count scaled by the team capacity over ``window`` (docs/design.md §3.3)."""
    if not options.capacity_planning or not state.team:
        return rule_tasks
    return scale_by_capacity(rule_tasks, window.capacity)


def capacity_sentence(
    window: SprintWindow, rule_tasks: int, tasks: int, options: OrchestrationOptions
) -> str:
    head = (
        f"Team capacity {round(float(window.capacity) * 100)}% from "
        f"{window.start.isoformat()} to {window.end.isoformat()} "
        f"({window.working_days} working day(s), holidays and PTO deducted)"
    )
    if not options.capacity_planning:
        return f"{head}; capacity planning is off: {rule_tasks} task(s)"
    return f"{head}: {tasks} of {rule_tasks} task(s)"


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
