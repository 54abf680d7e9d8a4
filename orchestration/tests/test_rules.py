from __future__ import annotations

from dataclasses import replace
from datetime import date

from orchestration.engine.rules import closure_reason, decide, sprint_identifier
from orchestration.engine.values import (
    Absence,
    ActiveSprint,
    Calendar,
    ClosureReason,
    HolidayDay,
    OrchestrationOptions,
    ProjectState,
    TaskSummary,
)

TODAY = date(2026, 11, 30)


def sprint(total: int = 5, completed: int = 2, end: date = date(2026, 12, 10), active: bool = True):
    return ActiveSprint(
        sprint_id="P-S01",
        sprint_name="P-S01",
        start_date=date(2026, 11, 27),
        end_date=end,
        duration_weeks=2,
        tasks=TaskSummary(total=total, completed=completed),
        schedule_name="run-dailyscrum-p-p-s01",
        schedule_active=active,
    )


def state(
    *,
    unassigned: int = 12,
    active: ActiveSprint | None = None,
    team: int = 3,
    calendar: Calendar | None = None,
):
    return ProjectState(
        project_id="P",
        backlog_tasks=20,
        unassigned_tasks=unassigned,
        active_sprint=active,
        team_size=team,
        next_sprint_number=2 if active else 1,
        team=tuple(f"E{i}" for i in range(1, team + 1)),
        calendar=calendar or Calendar(),
    )


def test_sprint_ids_are_zero_padded_and_keep_counting_past_99():
    assert sprint_identifier("TEST-001", 3) == "TEST-001-S03"
    assert sprint_identifier("TEST-001", 100) == "TEST-001-S100"


def test_it_opens_a_sprint_capped_by_max_tasks():
    decision = decide(
        state(unassigned=12), OrchestrationOptions(max_tasks_per_sprint=10), today=TODAY
    )

    assert decision.create_new_sprint
    assert decision.tasks_to_assign == 10
    assert decision.new_sprint_number == 1
    assert decision.create_schedule
    assert decision.close_sprint_id is None


def test_it_assigns_every_unassigned_task_when_fewer_than_the_cap():
    decision = decide(
        state(unassigned=4), OrchestrationOptions(max_tasks_per_sprint=10), today=TODAY
    )

    assert decision.tasks_to_assign == 4


def test_it_does_nothing_without_unassigned_tasks():
    decision = decide(state(unassigned=0), OrchestrationOptions(), today=TODAY)

    assert not decision.create_new_sprint
    assert decision.tasks_to_assign == 0
    assert "nothing to plan" in decision.reasoning[-1]


def test_it_respects_create_sprint_if_needed_false():
    decision = decide(state(), OrchestrationOptions(create_sprint_if_needed=False), today=TODAY)

    assert not decision.create_new_sprint


def test_a_sprint_with_pending_tasks_before_its_end_stays_open():
    decision = decide(
        state(active=sprint(total=5, completed=2)), OrchestrationOptions(), today=TODAY
    )

    assert decision.close_sprint_id is None
    assert not decision.create_new_sprint
    assert not decision.heal_schedule


def test_a_sprint_with_every_task_completed_closes_and_the_next_one_opens():
    decision = decide(
        state(unassigned=3, active=sprint(total=5, completed=5)),
        OrchestrationOptions(),
        today=TODAY,
    )

    assert decision.close_sprint_id == "P-S01"
    assert decision.closure_reason == ClosureReason.ALL_TASKS_COMPLETED
    assert decision.create_new_sprint
    assert decision.new_sprint_number == 2
    assert decision.tasks_to_assign == 3


def test_a_sprint_past_its_end_date_closes_and_its_pending_tasks_count_as_available():
    overdue = sprint(total=5, completed=2, end=date(2026, 11, 29))

    decision = decide(state(unassigned=1, active=overdue), OrchestrationOptions(), today=TODAY)

    assert decision.closure_reason == ClosureReason.END_DATE_PASSED
    assert decision.available_tasks == 1 + 3
    assert decision.tasks_to_assign == 4


def test_a_sprint_ending_today_is_not_overdue():
    assert closure_reason(sprint(end=TODAY), today=TODAY) is None


def test_an_empty_sprint_closes_only_at_its_end_date():
    assert closure_reason(sprint(total=0, completed=0), today=TODAY) is None
    assert (
        closure_reason(sprint(total=0, completed=0, end=date(2026, 11, 1)), today=TODAY)
        == ClosureReason.END_DATE_PASSED
    )


def test_an_open_sprint_without_a_schedule_is_healed():
    missing = replace(sprint(), schedule_name=None, schedule_active=False)

    decision = decide(state(active=missing), OrchestrationOptions(), today=TODAY)

    assert decision.heal_schedule


def test_a_schedule_an_operator_deactivated_is_never_reactivated():
    decision = decide(state(active=sprint(active=False)), OrchestrationOptions(), today=TODAY)

    assert not decision.heal_schedule
    assert any("deactivated by an operator" in r for r in decision.reasoning)


def test_healing_respects_create_cronjob_false():
    missing = replace(sprint(), schedule_name=None, schedule_active=False)

    decision = decide(
        state(active=missing), OrchestrationOptions(create_cronjob=False), today=TODAY
    )

    assert not decision.heal_schedule


def test_conflicts_warn_but_never_block():
    calendar = Calendar(
        holidays=(HolidayDay(date(2026, 12, 8), "Feast", "public"),),
        absences=(Absence("E1", "Ann", date(2026, 11, 28), date(2026, 12, 1), "E1 off"),),
    )

    decision = decide(state(calendar=calendar), OrchestrationOptions(), today=TODAY)

    assert decision.create_new_sprint
    assert len(decision.warnings) == 2
    assert "2 availability conflict(s)" in decision.reasoning[0]


def test_assign_tasks_false_opens_no_sprint_and_says_why():
    decision = decide(state(), OrchestrationOptions(assign_tasks=False), today=TODAY)

    assert not decision.create_new_sprint
    assert decision.new_sprint_id is None
    assert decision.tasks_to_assign == 0
    assert not decision.create_schedule
    assert any("a sprint without tasks is not opened" in r for r in decision.reasoning)


def test_assign_tasks_false_still_closes_a_finished_sprint():
    decision = decide(
        state(active=sprint(total=5, completed=5)),
        OrchestrationOptions(assign_tasks=False),
        today=TODAY,
    )

    assert decision.close_sprint_id == "P-S01"
    assert not decision.create_new_sprint


def test_a_team_without_members_gets_a_warning():
    decision = decide(state(team=0), OrchestrationOptions(), today=TODAY)

    assert any("no team members" in w for w in decision.warnings)
