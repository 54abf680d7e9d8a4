"""GET /api/projects/{id}/sprints/ and GET /api/sprints/{id}/."""

from __future__ import annotations

import pytest

from conftest import add_closed_sprints, make_project, start_sprint
from orchestration.models import Task
from orchestration.services.sprints import close_sprint

SPRINTS = "/api/projects/{}/sprints/"
SPRINT = "/api/sprints/{}/"

pytestmark = pytest.mark.django_db


def test_it_lists_a_projects_sprints_newest_first_with_task_counts(api_client):
    project = make_project("P-1", team=2, backlog=3)
    add_closed_sprints(project, [(4, 4), (5, 3)])
    active = start_sprint(project, tasks=3).sprint_id
    Task.objects.filter(task_id="P-1-TASK001").update(progress_percentage=100)
    make_project("P-2")

    response = api_client.get(SPRINTS.format("P-1"))

    assert response.status_code == 200
    rows = [
        (s["sprint_id"], s["status"], s["total_tasks"], s["completed_tasks"])
        for s in response.json()["results"]
    ]
    assert rows == [
        (active, "in_progress", 3, 1),
        ("P-1-S02", "closed_with_pending_tasks", 5, 3),
        ("P-1-S01", "completed", 4, 4),
    ]


def test_it_filters_sprints_by_status(api_client):
    project = make_project("P-1", backlog=1)
    add_closed_sprints(project, [(4, 4), (5, 3)])
    start_sprint(project, tasks=1)

    response = api_client.get(SPRINTS.format("P-1"), {"status": ["completed", "in_progress"]})

    assert [s["sprint_id"] for s in response.json()["results"]] == ["P-1-S03", "P-1-S01"]
    assert api_client.get(SPRINTS.format("P-1"), {"status": "open"}).status_code == 400


def test_sprints_of_an_unknown_project_are_404(api_client):
    assert api_client.get(SPRINTS.format("NOPE")).status_code == 404


def test_listing_many_sprints_costs_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries
):
    project = make_project("P-1", backlog=5)
    add_closed_sprints(project, [(3, 2)] * 25)
    start_sprint(project, tasks=5)

    # Token, project exists, count, page (counts aggregated in SQL).
    with django_assert_max_num_queries(4):
        response = api_client.get(SPRINTS.format("P-1"))

    assert response.json()["count"] == 26


def test_it_shows_an_active_sprint_with_its_tasks_and_assignees(api_client):
    project = make_project("P-1", team=2, backlog=4)
    sprint_id = start_sprint(project, tasks=3).sprint_id

    response = api_client.get(SPRINT.format(sprint_id))

    assert response.status_code == 200
    body = response.json()
    assert (body["sprint_id"], body["status"], body["total_tasks"]) == (sprint_id, "in_progress", 3)
    assert [(t["task_id"], t["assigned_to"], t["status"]) for t in body["tasks"]] == [
        ("P-1-TASK001", "P-1-E1", "assigned_to_sprint"),
        ("P-1-TASK002", "P-1-E2", "assigned_to_sprint"),
        ("P-1-TASK003", "P-1-E1", "assigned_to_sprint"),
    ]
    assert body["closing_snapshot"] == []


def test_a_closed_sprint_shows_what_it_held_when_it_closed(api_client):
    project = make_project("P-1", team=1, backlog=3)
    sprint_id = start_sprint(project, tasks=3).sprint_id
    Task.objects.filter(task_id="P-1-TASK001").update(progress_percentage=100)
    Task.objects.filter(task_id="P-1-TASK002").update(progress_percentage=40)
    close_sprint(project=project, sprint_id=sprint_id)

    body = api_client.get(SPRINT.format(sprint_id)).json()

    assert body["status"] == "closed_with_pending_tasks"
    assert (body["total_tasks"], body["completed_tasks"]) == (3, 1)
    assert [t["task_id"] for t in body["tasks"]] == ["P-1-TASK001"]
    assert [
        (s["task_id"], s["progress_percentage"], s["completed"]) for s in body["closing_snapshot"]
    ] == [("P-1-TASK001", 100, True), ("P-1-TASK002", 40, False), ("P-1-TASK003", 0, False)]


def test_an_unknown_sprint_is_404(api_client):
    response = api_client.get(SPRINT.format("NOPE-S01"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_sprint_with_many_tasks_costs_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries
):
    project = make_project("P-1", team=5, backlog=60)
    sprint_id = start_sprint(project, tasks=60).sprint_id

    # Token, sprint with counts, its tasks with assignees, its snapshot, its reports.
    with django_assert_max_num_queries(5):
        response = api_client.get(SPRINT.format(sprint_id))

    assert len(response.json()["tasks"]) == 60
    assert all(t["assigned_to_name"] for t in response.json()["tasks"])
