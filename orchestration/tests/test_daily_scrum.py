from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import TODAY, add_closed_sprints, make_project
from orchestration.engine.values import DecisionMode
from orchestration.models import (
    DailyScrumEntry,
    DailyScrumReport,
    Project,
    Sprint,
    Task,
    TaskStatus,
)
from orchestration.services import sprints
from orchestration.services.daily_scrum import MAX_GAIN, MIN_GAIN, run_daily_scrum


def project_in_sprint(project_id: str = "TEST-001", *, tasks: int = 6) -> Project:
    """A project whose sprint S01 started yesterday with ``tasks`` assigned tasks."""
    project = make_project(project_id, backlog=tasks)
    sprints.open_sprint(
        project=project,
        number=1,
        duration_weeks=2,
        tasks_to_assign=tasks,
        decision_source=DecisionMode.RULE_BASED_ONLY,
        cron_schedule="0 14 * * 1-5",
        today=TODAY - timedelta(days=1),
    )
    return project


def progress_by_task(project: Project) -> dict[str, int]:
    return dict(Task.objects.filter(project=project).values_list("pk", "progress_percentage"))


@pytest.mark.django_db
def test_each_unfinished_task_gains_between_5_and_30_percent():
    project = project_in_sprint(tasks=8)
    Task.objects.filter(pk="TEST-001-TASK002").update(progress_percentage=40)
    before = progress_by_task(project)

    outcome = run_daily_scrum(project_id="TEST-001", report_date=TODAY, rng=random.Random(7))

    after = progress_by_task(project)
    assert len(outcome.progressed) == 8
    for task_id, progress in after.items():
        assert before[task_id] + MIN_GAIN <= progress <= before[task_id] + MAX_GAIN
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.IN_PROGRESS}


@pytest.mark.django_db
def test_progress_is_capped_at_100_and_such_tasks_are_completed():
    project = project_in_sprint(tasks=3)
    Task.objects.filter(project=project).update(progress_percentage=96)

    outcome = run_daily_scrum(project_id="TEST-001", report_date=TODAY, rng=random.Random(1))

    assert set(progress_by_task(project).values()) == {100}
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.COMPLETED}
    assert outcome.completed_today == 3
    assert Task.objects.filter(sprint__isnull=False).count() == 3


@pytest.mark.django_db
def test_completed_tasks_are_left_alone():
    project = project_in_sprint(tasks=4)
    Task.objects.filter(pk="TEST-001-TASK001").update(
        progress_percentage=100, status=TaskStatus.COMPLETED
    )
    untouched = Task.objects.get(pk="TEST-001-TASK001").updated_at

    outcome = run_daily_scrum(project_id="TEST-001", report_date=TODAY, rng=random.Random(3))

    assert [p.task_id for p in outcome.progressed] == [
        "TEST-001-TASK002",
        "TEST-001-TASK003",
        "TEST-001-TASK004",
    ]
    task = Task.objects.get(pk="TEST-001-TASK001")
    assert (task.progress_percentage, task.updated_at) == (100, untouched)
    assert not DailyScrumEntry.objects.filter(task=task).exists()
    assert progress_by_task(project)["TEST-001-TASK002"] >= MIN_GAIN


@pytest.mark.django_db
def test_it_writes_a_report_with_one_entry_per_task_worked_on():
    project = project_in_sprint(tasks=5)

    outcome = run_daily_scrum(project_id="TEST-001", report_date=TODAY, rng=random.Random(5))

    report = DailyScrumReport.objects.get()
    assert report.pk == outcome.report_id
    assert (report.project_id, report.sprint_id, report.report_date) == (
        "TEST-001",
        "TEST-001-S01",
        TODAY,
    )
    assert report.metrics["total_tasks"] == 5
    assert report.metrics["tasks_worked_on"] == 5
    assert report.metrics["day_of_sprint"] == 2
    assert report.metrics["progress_gained"] == sum(progress_by_task(project).values())
    assert "Day 2 of TEST-001-S01" in report.summary
    entries = list(report.entries.order_by("task_id"))
    assert [e.task_id for e in entries] == sorted(progress_by_task(project))
    for entry in entries:
        task = Task.objects.get(pk=entry.task_id)
        assert entry.employee_id == task.assigned_to_id is not None
        assert f"0% -> {task.progress_percentage}%" in entry.yesterday_work
        assert entry.today_work


@pytest.mark.django_db
def test_it_does_nothing_without_an_active_sprint():
    project = make_project(backlog=4)
    add_closed_sprints(project, [(3, 3)])
    before = list(Task.objects.order_by("pk").values_list("pk", "progress_percentage", "status"))

    outcome = run_daily_scrum(project_id="TEST-001", report_date=TODAY)

    assert (outcome.sprint_id, outcome.report_id, outcome.progressed) == (None, None, ())
    after = list(Task.objects.order_by("pk").values_list("pk", "progress_percentage", "status"))
    assert after == before
    assert not DailyScrumReport.objects.exists()


@pytest.mark.django_db
def test_a_date_already_reported_is_not_advanced_again():
    project = project_in_sprint(tasks=3)
    run_daily_scrum(project_id="TEST-001", report_date=TODAY)
    once = progress_by_task(project)

    outcome = run_daily_scrum(project_id="TEST-001", report_date=TODAY)

    assert outcome.already_reported
    assert progress_by_task(project) == once
    assert DailyScrumReport.objects.count() == 1
    run_daily_scrum(project_id="TEST-001", report_date=TODAY + timedelta(days=1))
    assert DailyScrumReport.objects.count() == 2


@pytest.mark.django_db
def test_it_locks_the_project_row_before_reading_the_sprint():
    project_in_sprint(tasks=2)

    with CaptureQueriesContext(connection) as queries:
        run_daily_scrum(project_id="TEST-001", report_date=TODAY)

    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert '"orchestration_project"' in statements[0]
    assert statements[0].rstrip().endswith("FOR UPDATE")
    assert '"orchestration_sprint"' in statements[1]


@pytest.mark.django_db
@pytest.mark.parametrize("tasks", [2, 25])
def test_its_statement_count_does_not_grow_with_the_sprint(tasks, django_assert_max_num_queries):
    project_in_sprint(tasks=tasks)

    with django_assert_max_num_queries(9):
        run_daily_scrum(project_id="TEST-001", report_date=TODAY)

    assert DailyScrumEntry.objects.count() == tasks


@pytest.mark.django_db
def test_the_command_runs_every_active_sprint():
    project_in_sprint("ALPHA", tasks=2)
    project_in_sprint("BETA", tasks=3)
    make_project("IDLE", backlog=2)
    out = io.StringIO()

    call_command("run_daily_scrum", "--date", TODAY.isoformat(), "--seed", "4", stdout=out)

    assert sorted(DailyScrumReport.objects.values_list("project_id", flat=True)) == [
        "ALPHA",
        "BETA",
    ]
    assert not Task.objects.filter(project_id__in=["ALPHA", "BETA"], progress_percentage=0)
    assert Task.objects.filter(project_id="IDLE", progress_percentage=0).count() == 2
    assert "ALPHA-S01: 2 task(s) advanced" in out.getvalue()
    assert "BETA-S01: 3 task(s) advanced" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("verbosity", "detail"),
    [("0", ""), ("1", ""), ("2", f"Daily scrum of {TODAY.isoformat()} for 1 project(s): ALPHA\n")],
)
def test_outcomes_go_to_stdout_and_detail_to_stderr_from_verbosity_2(verbosity, detail):
    project_in_sprint("ALPHA", tasks=2)
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "run_daily_scrum", "--date", TODAY.isoformat(), "-v", verbosity, stdout=out, stderr=err
    )

    assert err.getvalue() == detail
    assert out.getvalue().startswith("ALPHA-S01: 2 task(s) advanced")


@pytest.mark.django_db
def test_the_command_gives_the_same_progress_for_the_same_seed():
    project = project_in_sprint(tasks=6)
    call_command(
        "run_daily_scrum", "--date", TODAY.isoformat(), "--seed", "9", stdout=io.StringIO()
    )
    first = progress_by_task(project)
    DailyScrumReport.objects.all().delete()
    Task.objects.update(progress_percentage=0, status=TaskStatus.ASSIGNED_TO_SPRINT)

    call_command(
        "run_daily_scrum", "--date", TODAY.isoformat(), "--seed", "9", stdout=io.StringIO()
    )

    assert progress_by_task(project) == first


@pytest.mark.django_db
def test_the_command_for_one_project_leaves_the_others_alone():
    project_in_sprint("ALPHA", tasks=2)
    project_in_sprint("BETA", tasks=2)

    call_command("run_daily_scrum", "--project", "BETA", stdout=io.StringIO())

    assert list(DailyScrumReport.objects.values_list("project_id", flat=True)) == ["BETA"]
    assert Task.objects.filter(project_id="ALPHA", progress_percentage=0).count() == 2


@pytest.mark.django_db
def test_the_command_rejects_an_unknown_project():
    with pytest.raises(CommandError, match="NOPE"):
        call_command("run_daily_scrum", "--project", "NOPE", stdout=io.StringIO())


@pytest.mark.django_db
def test_the_command_says_so_when_there_is_no_active_sprint():
    make_project(backlog=1)
    out = io.StringIO()

    call_command("run_daily_scrum", stdout=out)

    assert out.getvalue().strip() == "No active sprints."
    assert Sprint.objects.count() == 0
