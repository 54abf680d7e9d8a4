"""The named filters of the domain: the sprint in progress and the unassigned backlog task."""

from __future__ import annotations

import pytest
from django.db.models import Count

from conftest import add_closed_sprints, add_tasks, make_project, start_sprint
from orchestration.models import Sprint, SprintStatus, Task, TaskStatus

pytestmark = pytest.mark.django_db


def test_in_progress_keeps_only_the_open_sprints_of_every_project():
    first = make_project("P-1", backlog=3)
    add_closed_sprints(first, [(2, 2), (2, 1)])
    open_one = start_sprint(first, tasks=2)
    second = make_project("P-2", backlog=1)
    add_closed_sprints(second, [(1, 1)])

    assert list(Sprint.objects.in_progress()) == [open_one]
    assert set(Sprint.objects.values_list("status", flat=True)) == {
        SprintStatus.IN_PROGRESS,
        SprintStatus.COMPLETED,
        SprintStatus.CLOSED_WITH_PENDING_TASKS,
    }


def test_in_progress_chains_with_other_filters_and_annotations():
    project = make_project("P-1", backlog=3)
    start_sprint(project, tasks=2)
    make_project("P-2", backlog=1)

    sprint = Sprint.objects.in_progress().filter(project=project).annotate(n=Count("tasks")).get()

    assert (sprint.sprint_id, sprint.n) == ("P-1-S01", 2)
    assert not Sprint.objects.in_progress().filter(project_id="P-2").exists()


def test_unassigned_is_the_backlog_waiting_for_a_sprint_whoever_it_is_assigned_to():
    project = make_project("P-1", backlog=3)
    waiting, assigned, in_sprint = add_tasks(project, 3, start=10)
    Task.objects.filter(pk=assigned.pk).update(assigned_to_id="P-1-E1")
    sprint = start_sprint(project, tasks=0)
    Task.objects.filter(pk=in_sprint.pk).update(sprint=sprint, status=TaskStatus.ASSIGNED_TO_SPRINT)
    finished = add_tasks(project, 1, start=20)[0]
    Task.objects.filter(pk=finished.pk).update(status=TaskStatus.COMPLETED, progress_percentage=100)

    unassigned = set(Task.objects.unassigned().values_list("task_id", flat=True))

    assert waiting.pk in unassigned
    assert assigned.pk in unassigned
    assert in_sprint.pk not in unassigned
    assert finished.pk not in unassigned
    assert unassigned == {f"P-1-TASK{i:03d}" for i in (1, 2, 3, 10, 11)}


def test_a_sprint_takes_its_tasks_from_the_unassigned_backlog_oldest_first():
    project = make_project("P-1", backlog=4)
    Task.objects.filter(pk="P-1-TASK001").update(
        status=TaskStatus.COMPLETED, progress_percentage=100
    )

    sprint = start_sprint(project, tasks=2)

    assert sorted(sprint.tasks.values_list("task_id", flat=True)) == ["P-1-TASK002", "P-1-TASK003"]
    assert list(project.tasks.unassigned().values_list("task_id", flat=True)) == ["P-1-TASK004"]
