from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from django.db import connection
from django.db.models import Count, Q
from psycopg.errors import ForeignKeyViolation

from conftest import TODAY, make_project
from orchestration.demo import load
from orchestration.demo.generate import generate_project
from orchestration.demo.load import seed_demo
from orchestration.demo.profile import DemoParameters
from orchestration.engine import patterns
from orchestration.engine.values import HISTORY_FEATURE_FIELDS
from orchestration.management.progress import ProgressReport
from orchestration.models import (
    DailyScrumSchedule,
    Employee,
    Holiday,
    Project,
    ProjectHistoryFeatures,
    ProjectMembership,
    ProjectStatus,
    RetrospectiveActionItem,
    Sprint,
    SprintRetrospective,
    SprintStatus,
    SprintTaskSnapshot,
    Task,
    TaskStatus,
    derive_task_status,
)
from orchestration.selectors import sprint_outcomes
from orchestration.services.sprints import refresh_history_features

SMALL = DemoParameters(today=TODAY, projects=6, sprints=5, backlog=12)


def stored_features() -> list[tuple[object, ...]]:
    return list(ProjectHistoryFeatures.objects.order_by("pk").values_list(*HISTORY_FEATURE_FIELDS))


def dump_domain() -> dict[str, list[tuple[object, ...]]]:
    """Every generated row by natural key (surrogate ids differ between loads)."""
    return {
        "projects": list(Project.objects.order_by("pk").values_list()),
        "employees": list(Employee.objects.order_by("pk").values_list()),
        "memberships": list(
            ProjectMembership.objects.order_by("project_id", "employee_id").values_list(
                "project_id", "employee_id", "joined_at"
            )
        ),
        "sprints": list(Sprint.objects.order_by("pk").values_list()),
        "tasks": list(Task.objects.order_by("pk").values_list()),
        "snapshots": list(
            SprintTaskSnapshot.objects.order_by("sprint_id", "task_id").values_list(
                "sprint_id", "task_id", "assigned_to_id", "progress_percentage", "completed"
            )
        ),
        "retrospectives": list(
            SprintRetrospective.objects.order_by("sprint_id").values_list(
                "sprint_id", "what_went_well", "tasks_summary", "completion_rate"
            )
        ),
        "action_items": sorted(
            RetrospectiveActionItem.objects.values_list(
                "retrospective__sprint_id", "description", "status"
            )
        ),
        "features": stored_features(),
        "holidays": list(Holiday.objects.order_by("date").values_list("date", "name", "type")),
    }


def test_it_generates_the_same_history_for_the_same_seed():
    assert generate_project(3, SMALL) == generate_project(3, SMALL)
    other_seed = DemoParameters(today=TODAY, projects=6, sprints=5, seed=99)
    assert generate_project(3, other_seed) != generate_project(3, SMALL)


def test_a_project_does_not_depend_on_how_many_projects_are_generated():
    bigger = DemoParameters(today=TODAY, projects=500, sprints=5, backlog=12)

    assert generate_project(0, bigger) == generate_project(0, SMALL)


@pytest.mark.django_db
def test_it_loads_the_same_rows_for_the_same_seed():
    seed_demo(SMALL)
    first = dump_domain()

    seed_demo(SMALL, replace=True)

    assert dump_domain() == first
    assert len(first["tasks"]) > 0


def schema() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text LIKE 'orchestration%%' UNION ALL "
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'orchestration%%' "
            "ORDER BY 1, 2"
        )
        return [(str(name), str(definition)) for name, definition in cursor.fetchall()]


@pytest.mark.django_db
def test_the_load_leaves_every_index_and_foreign_key_as_it_found_them():
    before = schema()

    seed_demo(SMALL)

    assert schema() == before
    assert any("FOREIGN KEY" in definition for _name, definition in before)


@pytest.mark.django_db
def test_rows_that_break_a_foreign_key_fail_the_load_and_leave_nothing(monkeypatch):
    real = load.load_histories

    def with_an_orphan(cursor, histories):
        orphan = histories[0].snapshots[0]._replace(task_id="NO-SUCH-TASK")
        histories[0] = replace(histories[0], snapshots=(*histories[0].snapshots, orphan))
        return real(cursor, histories)

    monkeypatch.setattr(load, "load_histories", with_an_orphan)
    before = schema()

    with pytest.raises(ForeignKeyViolation):
        seed_demo(SMALL)

    assert not Project.objects.exists()
    assert schema() == before


@pytest.mark.django_db
def test_test_001_has_history_an_open_backlog_and_no_active_sprint():
    seed_demo(SMALL)

    project = Project.objects.get(pk="TEST-001")
    assert project.status == ProjectStatus.IN_PROGRESS
    assert project.sprint_count == SMALL.sprints
    sprints = Sprint.objects.filter(project=project)
    assert sprints.count() == SMALL.sprints
    assert not sprints.filter(status=SprintStatus.IN_PROGRESS).exists()
    backlog = Task.objects.filter(project=project, status=TaskStatus.UNASSIGNED, sprint=None)
    assert backlog.count() >= SMALL.backlog
    assert project.memberships.count() >= SMALL.team_min


@pytest.mark.django_db
def test_its_history_features_equal_what_refresh_computes():
    seed_demo(SMALL)
    seeded = stored_features()

    for project_id in Project.objects.values_list("pk", flat=True):
        refresh_history_features(project_id)

    refreshed = stored_features()
    assert refreshed == seeded
    assert len(seeded) == SMALL.projects


@pytest.mark.django_db
def test_closed_sprints_agree_with_their_snapshots_tasks_and_retrospectives():
    seed_demo(SMALL)

    closed = Sprint.objects.exclude(status=SprintStatus.IN_PROGRESS).annotate(
        snapshots=Count("task_snapshots", distinct=True),
        snapshots_done=Count(
            "task_snapshots", filter=Q(task_snapshots__completed=True), distinct=True
        ),
        tasks_done=Count("tasks", filter=Q(tasks__status=TaskStatus.COMPLETED), distinct=True),
    )
    assert closed.count() == SMALL.projects * SMALL.sprints
    for sprint in closed:
        assert sprint.task_count == sprint.snapshots
        assert sprint.completed_count == sprint.snapshots_done == sprint.tasks_done
        expected = (
            SprintStatus.COMPLETED
            if sprint.completed_count == sprint.task_count
            else SprintStatus.CLOSED_WITH_PENDING_TASKS
        )
        assert sprint.status == expected
        assert sprint.closed_at is not None
    assert SprintRetrospective.objects.count() == closed.count()
    assert not Task.objects.filter(status=TaskStatus.COMPLETED).exclude(progress_percentage=100)
    assert not Task.objects.filter(status=TaskStatus.UNASSIGNED).exclude(sprint=None)


@pytest.mark.django_db
def test_active_sprints_have_a_schedule_and_only_their_own_tasks():
    seed_demo(SMALL)

    active = Sprint.objects.filter(status=SprintStatus.IN_PROGRESS)
    assert active.exists()
    for sprint in active:
        assert DailyScrumSchedule.objects.get(sprint=sprint).is_active
        assert sprint.tasks.exists()
        assert sprint.project.sprint_count == sprint.number


@pytest.mark.django_db
def test_every_generated_task_has_the_status_its_progress_and_sprint_give():
    seed_demo(DemoParameters(today=TODAY, projects=12, sprints=6, backlog=12))

    tasks = Task.objects.values_list("task_id", "status", "progress_percentage", "sprint_id")

    assert tasks
    wrong = [
        (task_id, status)
        for task_id, status, progress, sprint in tasks
        if status != derive_task_status(progress_percentage=progress, in_sprint=sprint is not None)
    ]
    assert wrong == []


def test_velocity_trends_and_completion_rates_vary_between_projects():
    params = DemoParameters(today=TODAY, projects=30, sprints=20)
    trends = set()
    rates = set()
    for index in range(params.projects):
        history = generate_project(index, params)
        closed = [s.completed_count for s in history.sprints if s.completed_count is not None]
        trends.add(patterns.analyze_velocity(closed))
        assert history.features is not None
        rates.add(round(history.features.mean_completion_rate, 1))

    assert {t.trend for t in trends} == {"increasing", "decreasing", "stable"}
    assert len(rates) >= 3


@pytest.mark.django_db
def test_the_first_orchestration_of_test_001_opens_a_sprint_shaped_by_its_history(api_client):
    call_command("seed_demo", stdout=io.StringIO())
    project = Project.objects.get(pk="TEST-001")

    response = api_client.post(
        "/orchestrate/project/TEST-001", {"action": "analyze_and_orchestrate"}, format="json"
    )

    assert response.status_code == 200, response.content
    decisions = response.json()["decisions"]
    assert decisions["create_new_sprint"] is True
    assert decisions["decision_source"] == "intelligence_enhanced"
    assert decisions["intelligence_adjustments"]
    sprint = Sprint.objects.get(project=project, status=SprintStatus.IN_PROGRESS)
    assert sprint.number == project.sprint_count + 1
    assert sprint.duration_weeks == decisions["sprint_duration_weeks"]
    assert sprint.tasks.count() == decisions["tasks_to_assign"]
    assert len(sprint_outcomes("TEST-001")) == DemoParameters(today=TODAY).sprints


@pytest.mark.django_db
def test_it_does_nothing_with_if_empty_when_projects_exist():
    make_project("OWN-1", backlog=2)
    out = io.StringIO()

    call_command("seed_demo", "--if-empty", stdout=out)

    assert list(Project.objects.values_list("pk", flat=True)) == ["OWN-1"]
    assert "not loaded" in out.getvalue()


@pytest.mark.django_db
def test_it_seeds_an_empty_database_with_if_empty():
    out = io.StringIO()

    call_command("seed_demo", "--if-empty", "--projects", "3", "--sprints", "2", stdout=out)

    assert Project.objects.count() == 3
    assert "Seeded 3 projects" in out.getvalue()


@pytest.mark.django_db
def test_progress_goes_to_stderr_and_the_summary_to_stdout():
    out, err = io.StringIO(), io.StringIO()

    call_command("seed_demo", "--projects", "2", "--sprints", "1", stdout=out, stderr=err)

    assert err.getvalue().splitlines()[-1] == "2/2 projects (100%)"
    assert out.getvalue().startswith("Seeded 2 projects")
    assert "projects (" not in out.getvalue()


@pytest.mark.django_db
def test_verbosity_0_silences_the_progress_but_not_the_summary():
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "seed_demo", "--projects", "2", "--sprints", "1", "-v", "0", stdout=out, stderr=err
    )

    assert err.getvalue() == ""
    assert out.getvalue().startswith("Seeded 2 projects")


@pytest.mark.django_db
def test_verbosity_2_also_names_the_parameters_on_stderr():
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "seed_demo",
        "--projects",
        "2",
        "--sprints",
        "1",
        "--seed",
        "7",
        "--today",
        TODAY.isoformat(),
        "-v",
        "2",
        stdout=out,
        stderr=err,
    )

    assert err.getvalue().startswith("Seeding 2 projects with 1 closed sprints each, teams of ")
    assert f"seed 7, history up to {TODAY.isoformat()}." in err.getvalue()
    assert "Seeding" not in out.getvalue()


@pytest.mark.django_db
def test_it_refuses_to_seed_over_existing_projects():
    make_project("OWN-1")

    with pytest.raises(CommandError, match="already holds projects"):
        call_command("seed_demo", "--projects", "2", stdout=io.StringIO())

    assert list(Project.objects.values_list("pk", flat=True)) == ["OWN-1"]


@pytest.mark.django_db
def test_replace_deletes_the_existing_domain_data_first():
    make_project("OWN-1", backlog=3)

    call_command(
        "seed_demo", "--replace", "--projects", "2", "--sprints", "1", stdout=io.StringIO()
    )

    assert sorted(Project.objects.values_list("pk", flat=True)) == ["TEST-001", "TEST-002"]
    assert not Task.objects.filter(project_id="OWN-1").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "arguments",
    [["--projects", "0"], ["--team-min", "5", "--team-max", "2"], ["--sprints", "-1"]],
)
def test_it_rejects_bad_parameters(arguments):
    with pytest.raises(CommandError):
        call_command("seed_demo", *arguments, stdout=io.StringIO())

    assert not Project.objects.exists()


@pytest.mark.django_db
def test_team_sizes_stay_within_the_requested_range():
    seed_demo(DemoParameters(today=TODAY, projects=12, sprints=1, team_min=2, team_max=3))

    sizes = Project.objects.annotate(team=Count("memberships")).values_list("team", flat=True)
    assert set(sizes) <= {2, 3}


@pytest.mark.django_db
def test_history_dates_lead_up_to_today_and_do_not_overlap():
    seed_demo(SMALL)

    for project in Project.objects.all():
        sprints = list(Sprint.objects.filter(project=project).order_by("number"))
        for earlier, later in pairwise(sprints):
            assert earlier.end_date < later.start_date
        closed = [s for s in sprints if s.status != SprintStatus.IN_PROGRESS]
        assert closed[-1].end_date < TODAY
        assert all(s.start_date <= TODAY for s in sprints)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_redrawn_bar_on_a_terminal():
    stream = FakeTerminal()
    report = ProgressReport(OutputWrapper(stream), "projects")

    report(50, 100)
    report(100, 100)

    text = stream.getvalue()
    assert text.startswith("\r[")
    assert "50/100 projects" in text
    assert text.endswith("100/100 projects\n")


def test_progress_is_a_few_plain_lines_otherwise():
    stream = io.StringIO()
    report = ProgressReport(OutputWrapper(stream), "projects")

    for done in range(1, 101):
        report(done, 100)

    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[-1] == "100/100 projects (100%)"
    assert "\r" not in stream.getvalue()


def test_generated_dates_do_not_depend_on_the_clock():
    params = DemoParameters(today=date(2030, 1, 15), projects=2, sprints=3)

    history = generate_project(0, params)

    assert history.sprints[-1].end_date < date(2030, 1, 15)
