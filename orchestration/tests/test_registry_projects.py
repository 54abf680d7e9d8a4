"""GET|POST /api/projects/ and GET|PATCH|DELETE /api/projects/{id}/."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from conftest import TODAY, add_closed_sprints, make_project
from orchestration.engine.values import DecisionMode
from orchestration.models import (
    DailyScrumSchedule,
    Employee,
    Project,
    ProjectMembership,
    ProjectStatus,
    Sprint,
    Task,
)
from orchestration.services.sprints import open_sprint

LIST = "/api/projects/"
DETAIL = "/api/projects/{}/"

pytestmark = pytest.mark.django_db


def test_it_registers_a_project_as_inactive(api_client):
    response = api_client.post(
        LIST, {"project_id": "NEW-1", "name": "New", "codename": "Falcon"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "inactive"
    assert response.json()["team_size"] == 0
    project = Project.objects.get()
    assert (project.project_id, project.name, project.codename) == ("NEW-1", "New", "Falcon")
    assert project.status == ProjectStatus.INACTIVE


def test_it_answers_409_for_a_duplicate_project_id_and_keeps_the_first(api_client):
    make_project("DUP-1", name="Original")

    response = api_client.post(LIST, {"project_id": "DUP-1", "name": "Copy"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "DUP-1" in response.json()["detail"]
    assert Project.objects.get().name == "Original"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"project_id": 7, "name": "Seven"}, "project_id"),
        ({"project_id": "P-1", "name": 7}, "name"),
        ({"project_id": "has space", "name": "Bad id"}, "project_id"),
        ({"project_id": "-starts-with-dash", "name": "Bad id"}, "project_id"),
        ({"project_id": "P" * 65, "name": "Too long"}, "project_id"),
        ({"name": "No id"}, "project_id"),
        ({"project_id": "P-1", "name": "X", "colour": "red"}, "colour"),
        ({"project_id": "P-1", "name": "X", "status": "in_progress"}, "status"),
    ],
)
def test_it_rejects_bad_project_input_and_writes_nothing(api_client, body, field):
    response = api_client.post(LIST, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Project.objects.exists()


def test_it_rejects_malformed_json(api_client):
    response = api_client.post(LIST, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("post", LIST),
        ("get", DETAIL.format("P-1")),
        ("patch", DETAIL.format("P-1")),
        ("delete", DETAIL.format("P-1")),
        ("get", "/api/employees/"),
        ("post", "/api/employees/"),
        ("get", "/api/projects/P-1/members/"),
        ("post", "/api/projects/P-1/members/"),
        ("delete", "/api/projects/P-1/members/P-1-E1/"),
        ("get", "/api/projects/P-1/tasks/"),
        ("post", "/api/projects/P-1/tasks/"),
        ("get", "/api/tasks/P-1-TASK001/"),
        ("patch", "/api/tasks/P-1-TASK001/"),
        ("get", "/api/projects/P-1/sprints/"),
        ("get", "/api/sprints/P-1-S01/"),
        ("get", "/api/holidays/"),
        ("post", "/api/holidays/"),
        ("get", "/api/pto/"),
        ("post", "/api/pto/"),
    ],
)
def test_it_refuses_unauthenticated_requests_and_changes_nothing(db, method, url):
    make_project("P-1", team=1, backlog=1)

    response = getattr(APIClient(), method)(url, {"name": "Changed"}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert Project.objects.get().name == "Project P-1"
    assert ProjectMembership.objects.count() == 1
    assert Task.objects.get().title == "Task 1"


def test_it_lists_projects_paged_with_team_sizes(api_client):
    make_project("A-1", team=2)
    make_project("B-1", team=0)
    make_project("C-1", team=1)

    first = api_client.get(LIST, {"page_size": 2}).json()
    second = api_client.get(LIST, {"page_size": 2, "page": 2}).json()

    assert first["count"] == 3
    assert [(p["project_id"], p["team_size"]) for p in first["results"]] == [
        ("A-1", 2),
        ("B-1", 0),
    ]
    assert [p["project_id"] for p in second["results"]] == ["C-1"]
    assert first["next"] is not None
    assert second["next"] is None


def test_it_filters_projects_by_status(api_client):
    make_project("A-1")
    Project.objects.filter(pk=make_project("B-1").pk).update(status=ProjectStatus.IN_PROGRESS)

    response = api_client.get(LIST, {"status": "in_progress"})

    assert response.status_code == 200
    assert [p["project_id"] for p in response.json()["results"]] == ["B-1"]


def test_it_answers_400_for_an_unknown_status_filter(api_client):
    response = api_client.get(LIST, {"status": "sleeping"})

    assert response.status_code == 400
    assert "status" in response.json()


def test_listing_projects_costs_the_same_queries_for_many_projects(
    api_client, django_assert_max_num_queries
):
    for i in range(30):
        make_project(f"P-{i:02d}", team=2)

    # Token lookup, count, page.
    with django_assert_max_num_queries(3):
        response = api_client.get(LIST)

    assert response.json()["count"] == 30


def test_it_shows_one_project(api_client):
    make_project("P-1", team=3)

    response = api_client.get(DETAIL.format("P-1"))

    assert response.status_code == 200
    assert response.json()["project_id"] == "P-1"
    assert response.json()["team_size"] == 3


def test_it_answers_404_for_an_unknown_project(api_client):
    assert api_client.get(DETAIL.format("NOPE")).status_code == 404
    assert api_client.patch(DETAIL.format("NOPE"), {"name": "x"}, format="json").status_code == 404
    assert api_client.delete(DETAIL.format("NOPE")).status_code == 404


def test_it_renames_a_project(api_client):
    make_project("P-1", name="Old")

    response = api_client.patch(DETAIL.format("P-1"), {"codename": "Heron"}, format="json")

    assert response.status_code == 200, response.content
    project = Project.objects.get()
    assert (project.name, project.codename) == ("Old", "Heron")
    assert response.json()["codename"] == "Heron"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"project_id": "P-2"}, "project_id"),
        ({"status": "in_progress"}, "status"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": ["list"]}, "name"),
        ({"sprint_count": 3}, "sprint_count"),
    ],
)
def test_it_refuses_bad_project_changes(api_client, body, field):
    make_project("P-1", name="Old")

    response = api_client.patch(DETAIL.format("P-1"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    project = Project.objects.get()
    assert (project.project_id, project.name, project.status) == ("P-1", "Old", "inactive")


def test_it_deletes_a_project_with_its_tasks_and_team_but_keeps_the_employees(api_client):
    project = make_project("P-1", team=2, backlog=3)
    add_closed_sprints(project, [(4, 4)])
    make_project("OTHER", team=1, backlog=1)

    response = api_client.delete(DETAIL.format("P-1"))

    assert response.status_code == 204
    assert list(Project.objects.values_list("pk", flat=True)) == ["OTHER"]
    assert not Task.objects.filter(project_id="P-1").exists()
    assert not Sprint.objects.filter(project_id="P-1").exists()
    assert not ProjectMembership.objects.filter(project_id="P-1").exists()
    assert Employee.objects.filter(pk__startswith="P-1-").count() == 2
    assert Task.objects.filter(project_id="OTHER").count() == 1


def test_it_refuses_to_delete_a_project_with_a_sprint_in_progress(api_client):
    project = make_project("P-1", team=2, backlog=3)
    open_sprint(
        project=project,
        number=1,
        duration_weeks=2,
        tasks_to_assign=2,
        decision_source=DecisionMode.RULE_BASED_ONLY,
        cron_schedule="0 14 * * 1-5",
        today=TODAY,
    )

    response = api_client.delete(DETAIL.format("P-1"))

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "P-1-S01" in response.json()["detail"]
    assert Project.objects.filter(pk="P-1").exists()
    assert Task.objects.filter(project_id="P-1").count() == 3
    assert Sprint.objects.get().sprint_id == "P-1-S01"
    assert DailyScrumSchedule.objects.get().is_active
