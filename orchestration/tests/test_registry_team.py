"""GET|POST /api/employees/, GET|POST /api/projects/{id}/members/ and
DELETE /api/projects/{id}/members/{employee_id}/."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from conftest import add_closed_sprints, make_project
from orchestration.models import Employee, ProjectHistoryFeatures, ProjectMembership, Task
from orchestration.services.registry import add_member

EMPLOYEES = "/api/employees/"
MEMBERS = "/api/projects/{}/members/"
MEMBER = "/api/projects/{}/members/{}/"

pytestmark = pytest.mark.django_db


def test_it_registers_an_employee(api_client):
    response = api_client.post(
        EMPLOYEES, {"employee_id": "E-1", "name": "Ada", "email": "ada@example.com"}, format="json"
    )

    assert response.status_code == 201, response.content
    employee = Employee.objects.get()
    assert (employee.employee_id, employee.name, employee.email) == (
        "E-1",
        "Ada",
        "ada@example.com",
    )


def test_a_duplicate_employee_id_is_409_and_keeps_the_first(api_client):
    Employee.objects.create(employee_id="E-1", name="Ada")

    response = api_client.post(EMPLOYEES, {"employee_id": "E-1", "name": "Bob"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Employee.objects.get().name == "Ada"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"employee_id": "E 1", "name": "Ada"}, "employee_id"),
        ({"employee_id": 1, "name": "Ada"}, "employee_id"),
        ({"employee_id": "E-1", "name": "Ada", "email": "not-an-email"}, "email"),
        ({"employee_id": "E-1"}, "name"),
        ({"employee_id": "E-1", "name": "Ada", "team": "P-1"}, "team"),
    ],
)
def test_it_rejects_bad_employee_input(api_client, body, field):
    response = api_client.post(EMPLOYEES, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Employee.objects.exists()


def test_it_lists_employees_and_filters_them_by_project(api_client):
    make_project("P-1", team=2)
    make_project("P-2", team=1)

    everyone = api_client.get(EMPLOYEES).json()
    team = api_client.get(EMPLOYEES, {"project": "P-1"}).json()

    assert everyone["count"] == 3
    assert [e["employee_id"] for e in team["results"]] == ["P-1-E1", "P-1-E2"]


def test_it_adds_a_member_and_updates_the_team_size_similarity_uses(api_client):
    project = make_project("P-1", team=2)
    add_closed_sprints(project, [(5, 5)])
    Employee.objects.create(employee_id="NEW", name="Newcomer")
    assert ProjectHistoryFeatures.objects.get().team_size == 2

    response = api_client.post(MEMBERS.format("P-1"), {"employee_id": "NEW"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["employee_id"] == "NEW"
    assert response.json()["name"] == "Newcomer"
    assert ProjectMembership.objects.filter(project_id="P-1", employee_id="NEW").exists()
    assert ProjectHistoryFeatures.objects.get().team_size == 3


def test_adding_a_member_to_a_project_without_history_writes_no_features(api_client):
    make_project("P-1", team=0)
    Employee.objects.create(employee_id="NEW", name="Newcomer")

    response = api_client.post(MEMBERS.format("P-1"), {"employee_id": "NEW"}, format="json")

    assert response.status_code == 201
    assert not ProjectHistoryFeatures.objects.exists()


def test_adding_an_existing_member_again_is_409(api_client):
    make_project("P-1", team=1)

    response = api_client.post(MEMBERS.format("P-1"), {"employee_id": "P-1-E1"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert ProjectMembership.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"employee_id": "GHOST"}, "employee_id"),
        ({"employee_id": 3}, "employee_id"),
        ({}, "employee_id"),
        ({"employee_id": "P-2-E1", "role": "lead"}, "role"),
    ],
)
def test_it_rejects_bad_member_input(api_client, body, field):
    make_project("P-1", team=0)
    make_project("P-2", team=1)

    response = api_client.post(MEMBERS.format("P-1"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not ProjectMembership.objects.filter(project_id="P-1").exists()


def test_members_of_an_unknown_project_are_404(api_client):
    Employee.objects.create(employee_id="E-1", name="Ada")

    assert api_client.get(MEMBERS.format("NOPE")).status_code == 404
    response = api_client.post(MEMBERS.format("NOPE"), {"employee_id": "E-1"}, format="json")
    assert response.status_code == 404
    assert api_client.delete(MEMBER.format("NOPE", "E-1")).status_code == 404
    assert not ProjectMembership.objects.exists()


def test_it_lists_a_projects_team(api_client):
    make_project("P-1", team=3)
    make_project("P-2", team=1)

    response = api_client.get(MEMBERS.format("P-1"), {"page_size": 2})

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert [(m["employee_id"], m["name"]) for m in response.json()["results"]] == [
        ("P-1-E1", "Member 1 of P-1"),
        ("P-1-E2", "Member 2 of P-1"),
    ]


def test_listing_a_large_team_costs_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries
):
    make_project("P-1", team=40)

    # Token, project exists, count, page (employees joined).
    with django_assert_max_num_queries(4):
        response = api_client.get(MEMBERS.format("P-1"))

    assert len(response.json()["results"]) == 40


def test_it_removes_a_member_keeps_their_tasks_and_updates_the_team_size(api_client):
    project = make_project("P-1", team=3, backlog=1)
    add_closed_sprints(project, [(4, 2)])
    Task.objects.filter(task_id="P-1-TASK001").update(assigned_to="P-1-E2")

    response = api_client.delete(MEMBER.format("P-1", "P-1-E2"))

    assert response.status_code == 204
    assert sorted(
        ProjectMembership.objects.filter(project_id="P-1").values_list("employee_id", flat=True)
    ) == ["P-1-E1", "P-1-E3"]
    assert Employee.objects.filter(pk="P-1-E2").exists()
    assert Task.objects.get(task_id="P-1-TASK001").assigned_to_id == "P-1-E2"
    assert ProjectHistoryFeatures.objects.get().team_size == 2


def test_removing_the_last_member_sets_the_team_size_to_zero(api_client):
    project = make_project("P-1", team=1)
    add_closed_sprints(project, [(3, 3)])

    assert api_client.delete(MEMBER.format("P-1", "P-1-E1")).status_code == 204

    assert ProjectHistoryFeatures.objects.get().team_size == 0


def test_removing_someone_who_is_not_a_member_is_404(api_client):
    make_project("P-1", team=1)
    make_project("P-2", team=1)

    response = api_client.delete(MEMBER.format("P-1", "P-2-E1"))

    assert response.status_code == 404
    assert ProjectMembership.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_member_additions_leave_the_team_size_exact():
    project = make_project("P-1", team=1)
    add_closed_sprints(project, [(3, 3)])
    newcomers = [f"NEW-{i}" for i in range(6)]
    Employee.objects.bulk_create(Employee(employee_id=e, name=e) for e in newcomers)
    barrier = threading.Barrier(len(newcomers))
    errors: list[BaseException] = []

    def join(employee_id: str) -> None:
        try:
            barrier.wait()
            add_member(project_id="P-1", employee_id=employee_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=join, args=(e,)) for e in newcomers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert ProjectMembership.objects.filter(project_id="P-1").count() == 7
    assert ProjectHistoryFeatures.objects.get().team_size == 7
