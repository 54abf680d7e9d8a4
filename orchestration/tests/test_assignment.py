"""Who gets a sprint's tasks (docs/design.md §3.3, "Assignment")."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import add_tasks, make_project, start_sprint
from orchestration.models import PTO, Employee, ProjectMembership, Sprint, SprintTaskSnapshot, Task
from orchestration.services.sprints import close_sprint

pytestmark = pytest.mark.django_db
URL = "/orchestrate/project/{}"


def orchestrate(client, project_id="TEST-001", **options):
    body = {"action": "analyze_and_orchestrate", "options": options}
    return client.post(URL.format(project_id), body, format="json")


def finish(sprint: Sprint) -> None:
    Task.objects.filter(sprint=sprint).update(progress_percentage=100)
    close_sprint(project=sprint.project, sprint_id=sprint.pk)


def test_assignments_stay_balanced_across_sprints():
    project = make_project(team=3, backlog=32)

    for _ in range(8):
        finish(start_sprint(project, 4))

    per_member = Counter(SprintTaskSnapshot.objects.values_list("assigned_to_id", flat=True))
    assert sum(per_member.values()) == 32
    assert set(per_member) == {"TEST-001-E1", "TEST-001-E2", "TEST-001-E3"}
    assert max(per_member.values()) - min(per_member.values()) <= 1


def test_the_least_loaded_member_gets_the_next_task():
    project = make_project(team=3, backlog=4)
    Task.objects.filter(task_id__in=["TEST-001-TASK001", "TEST-001-TASK002"]).update(
        assigned_to_id="TEST-001-E1"
    )

    sprint = start_sprint(project, 4)

    per_member = Counter(Task.objects.filter(sprint=sprint).values_list("assigned_to", flat=True))
    assert per_member == {"TEST-001-E1": 2, "TEST-001-E2": 1, "TEST-001-E3": 1}


def test_a_carried_over_task_of_a_member_who_left_is_reassigned(api_client):
    make_project(team=3, backlog=3)
    orchestrate(api_client)
    leaver = Task.objects.get(task_id="TEST-001-TASK003").assigned_to_id
    Task.objects.update(progress_percentage=40)
    response = api_client.delete(f"/api/projects/TEST-001/members/{leaver}/")
    assert response.status_code == 204, response.content
    yesterday = timezone.localdate() - timedelta(days=1)
    Sprint.objects.update(start_date=yesterday - timedelta(days=13), end_date=yesterday)

    orchestrate(api_client)

    carried = Task.objects.filter(sprint_id="TEST-001-S02")
    assert carried.count() == 3
    assert leaver not in set(carried.values_list("assigned_to_id", flat=True))
    members = set(ProjectMembership.objects.values_list("employee_id", flat=True))
    assert set(carried.values_list("assigned_to_id", flat=True)) <= members


def test_a_member_on_pto_for_the_whole_sprint_gets_no_tasks(api_client):
    make_project(team=3, backlog=6)
    today = timezone.localdate()
    PTO.objects.create(
        employee=Employee.objects.get(pk="TEST-001-E2"),
        start_date=today - timedelta(days=2),
        end_date=today + timedelta(weeks=3),
    )

    orchestrate(api_client)

    assignees = Counter(Task.objects.exclude(sprint=None).values_list("assigned_to_id", flat=True))
    assert "TEST-001-E2" not in assignees
    assert sum(assignees.values()) >= 1
    assert set(assignees) <= {"TEST-001-E1", "TEST-001-E3"}


def test_the_rotation_is_kept_per_project_between_sprints():
    project = make_project(team=3, backlog=2)
    first = start_sprint(project, 1)
    assert Task.objects.get(sprint=first).assigned_to_id == "TEST-001-E1"
    finish(first)
    add_tasks(project, 1)

    second = start_sprint(project, 1)

    assert Task.objects.get(sprint=second).assigned_to_id == "TEST-001-E2"
