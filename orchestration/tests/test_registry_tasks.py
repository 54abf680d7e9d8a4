"""GET|POST /api/projects/{id}/tasks/ and GET|PATCH /api/tasks/{id}/."""

from __future__ import annotations

import pytest

from conftest import add_closed_sprints, make_project, start_sprint
from orchestration.models import Employee, Task, TaskStatus

TASKS = "/api/projects/{}/tasks/"
TASK = "/api/tasks/{}/"

pytestmark = pytest.mark.django_db


# --- create --------------------------------------------------------------------------


def test_it_adds_one_task_to_the_backlog(api_client):
    make_project("P-1", team=2)

    response = api_client.post(
        TASKS.format("P-1"),
        {"task_id": "P-1-T1", "title": "Write docs", "assigned_to": "P-1-E2"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["task_id"] == "P-1-T1"
    assert body["status"] == "unassigned"
    assert body["assigned_to_name"] == "Member 2 of P-1"
    task = Task.objects.get()
    assert (task.project_id, task.title, task.assigned_to_id) == ("P-1", "Write docs", "P-1-E2")
    assert (task.status, task.sprint_id, task.progress_percentage) == ("unassigned", None, 0)


def test_it_adds_a_list_of_tasks_in_order(api_client):
    make_project("P-1", team=1)
    tasks = [
        {"task_id": "P-1-T3", "title": "Third"},
        {"task_id": "P-1-T1", "title": "First", "progress_percentage": 100},
        {"task_id": "P-1-T2", "title": "Second", "progress_percentage": 40, "description": "d"},
    ]

    response = api_client.post(TASKS.format("P-1"), tasks, format="json")

    assert response.status_code == 201, response.content
    assert [t["task_id"] for t in response.json()] == ["P-1-T3", "P-1-T1", "P-1-T2"]
    rows = Task.objects.order_by("created_at", "task_id")
    assert [(t.task_id, t.status, t.progress_percentage) for t in rows] == [
        ("P-1-T3", TaskStatus.UNASSIGNED, 0),
        ("P-1-T1", TaskStatus.COMPLETED, 100),
        ("P-1-T2", TaskStatus.UNASSIGNED, 40),
    ]


def test_one_bad_task_in_a_list_creates_none_and_names_the_item(api_client):
    make_project("P-1", team=1)
    tasks = [
        {"task_id": "P-1-T1", "title": "Fine"},
        {"task_id": "P-1-T2", "title": "Too far", "progress_percentage": 101},
        {"task_id": "P-1-T3", "title": "Fine too"},
    ]

    response = api_client.post(TASKS.format("P-1"), tasks, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["1"]
    assert "progress_percentage" in response.json()["1"]
    assert not Task.objects.exists()


def test_a_task_id_taken_by_any_project_creates_nothing_and_answers_409(api_client):
    make_project("P-1", backlog=1)
    make_project("P-2")

    response = api_client.post(
        TASKS.format("P-2"),
        [{"task_id": "P-2-T1", "title": "New"}, {"task_id": "P-1-TASK001", "title": "Taken"}],
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "P-1-TASK001" in response.json()["detail"]
    assert list(Task.objects.values_list("task_id", "project_id")) == [("P-1-TASK001", "P-1")]


def test_a_task_id_repeated_in_one_list_is_a_bad_request(api_client):
    make_project("P-1")

    response = api_client.post(
        TASKS.format("P-1"),
        [{"task_id": "P-1-T1", "title": "A"}, {"task_id": "P-1-T1", "title": "B"}],
        format="json",
    )

    assert response.status_code == 400
    assert "P-1-T1" in str(response.json())
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"task_id": "T-1", "title": "x", "progress_percentage": "50"}, "progress_percentage"),
        ({"task_id": "T-1", "title": "x", "progress_percentage": 50.0}, "progress_percentage"),
        ({"task_id": "T-1", "title": "x", "progress_percentage": True}, "progress_percentage"),
        ({"task_id": "T-1", "title": "x", "progress_percentage": -1}, "progress_percentage"),
        ({"task_id": "T-1", "title": "x", "progress_percentage": 101}, "progress_percentage"),
        ({"task_id": "T 1", "title": "x"}, "task_id"),
        ({"task_id": 1, "title": "x"}, "task_id"),
        ({"task_id": "T-1", "title": ""}, "title"),
        ({"task_id": "T-1"}, "title"),
        ({"task_id": "T-1", "title": "x", "assigned_to": "NOBODY"}, "assigned_to"),
        ({"task_id": "T-1", "title": "x", "assigned_to": 5}, "assigned_to"),
        ({"task_id": "T-1", "title": "x", "status": "completed"}, "status"),
        ({"task_id": "T-1", "title": "x", "sprint": "P-1-S01"}, "sprint"),
        ({"task_id": "T-1", "title": "x", "priority": "high"}, "priority"),
    ],
)
def test_it_rejects_bad_task_input(api_client, body, field):
    make_project("P-1", team=1)

    response = api_client.post(TASKS.format("P-1"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Task.objects.exists()


def test_an_assignee_must_be_a_member_of_the_project(api_client):
    make_project("P-1", team=1)
    make_project("P-2", team=1)

    response = api_client.post(
        TASKS.format("P-1"),
        {"task_id": "T-1", "title": "x", "assigned_to": "P-2-E1"},
        format="json",
    )

    assert response.status_code == 400
    assert "not a member" in response.json()["assigned_to"][0]
    assert not Task.objects.exists()


@pytest.mark.parametrize("body", [[], {}, "text", 5])
def test_it_rejects_bodies_that_are_no_task_or_an_empty_list(api_client, body):
    make_project("P-1")

    response = api_client.post(TASKS.format("P-1"), body, format="json")

    assert response.status_code == 400
    assert not Task.objects.exists()


def test_it_refuses_more_tasks_than_one_request_may_carry(api_client):
    make_project("P-1")
    tasks = [{"task_id": f"T-{i}", "title": "x"} for i in range(501)]

    response = api_client.post(TASKS.format("P-1"), tasks, format="json")

    assert response.status_code == 400
    assert not Task.objects.exists()


def test_tasks_of_an_unknown_project_are_404(api_client):
    response = api_client.post(TASKS.format("NOPE"), {"task_id": "T", "title": "x"}, format="json")

    assert response.status_code == 404
    assert api_client.get(TASKS.format("NOPE")).status_code == 404
    assert not Task.objects.exists()


def test_bulk_create_checks_every_task_with_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries
):
    make_project("P-1", team=3)
    tasks = [
        {"task_id": f"P-1-T{i:03d}", "title": f"T{i}", "assigned_to": f"P-1-E{i % 3 + 1}"}
        for i in range(200)
    ]

    # Token, project, team, then (savepoint) project, taken ids, insert, re-read.
    with django_assert_max_num_queries(10):
        response = api_client.post(TASKS.format("P-1"), tasks, format="json")

    assert response.status_code == 201
    assert Task.objects.filter(project_id="P-1").count() == 200


# --- list ----------------------------------------------------------------------------


def test_it_lists_a_projects_tasks_oldest_first_with_assignees(api_client):
    project = make_project("P-1", team=2, backlog=3)
    make_project("P-2", backlog=2)
    Task.objects.filter(task_id="P-1-TASK002").update(assigned_to="P-1-E2")

    response = api_client.get(TASKS.format(project.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(t["task_id"], t["assigned_to"], t["assigned_to_name"]) for t in body["results"]] == [
        ("P-1-TASK001", None, None),
        ("P-1-TASK002", "P-1-E2", "Member 2 of P-1"),
        ("P-1-TASK003", None, None),
    ]


def test_it_filters_tasks_by_status_assignee_and_sprint(api_client):
    project = make_project("P-1", team=2, backlog=5)
    sprint = start_sprint(project, tasks=2)  # TASK001 -> E1, TASK002 -> E2
    Task.objects.filter(task_id="P-1-TASK005").update(status=TaskStatus.COMPLETED)

    def ids(**params: str | list[str]) -> list[str]:
        response = api_client.get(TASKS.format("P-1"), params)
        assert response.status_code == 200, response.content
        return [t["task_id"] for t in response.json()["results"]]

    assert ids(status="assigned_to_sprint") == ["P-1-TASK001", "P-1-TASK002"]
    assert ids(status=["unassigned", "completed"]) == [
        "P-1-TASK003",
        "P-1-TASK004",
        "P-1-TASK005",
    ]
    assert ids(assigned_to="P-1-E2") == ["P-1-TASK002"]
    assert ids(sprint=sprint.pk) == ["P-1-TASK001", "P-1-TASK002"]
    assert ids(in_sprint="false") == ["P-1-TASK003", "P-1-TASK004", "P-1-TASK005"]
    assert ids(unassigned="true", status="unassigned") == ["P-1-TASK003", "P-1-TASK004"]


@pytest.mark.parametrize(
    "params", [{"status": "done"}, {"in_sprint": "maybe"}, {"unassigned": "1"}, {"page": "x"}]
)
def test_it_answers_4xx_for_invalid_task_filters(api_client, params):
    make_project("P-1", backlog=1)

    response = api_client.get(TASKS.format("P-1"), params)

    # An unknown page is DRF's 404; bad filter values are 400.
    assert response.status_code == (404 if "page" in params else 400)


def test_it_pages_tasks(api_client):
    make_project("P-1", backlog=7)

    response = api_client.get(TASKS.format("P-1"), {"page_size": 3, "page": 3})

    assert response.json()["count"] == 7
    assert [t["task_id"] for t in response.json()["results"]] == ["P-1-TASK007"]


def test_listing_tasks_with_assignees_costs_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries
):
    project = make_project("P-1", team=4, backlog=40)
    start_sprint(project, tasks=40)

    # Token, project exists, count, page (assignees joined).
    with django_assert_max_num_queries(4):
        response = api_client.get(TASKS.format("P-1"))

    assert {t["assigned_to_name"] for t in response.json()["results"]} == {
        f"Member {i} of P-1" for i in range(1, 5)
    }


# --- detail and update ---------------------------------------------------------------


def test_it_shows_one_task_and_404s_an_unknown_one(api_client):
    make_project("P-1", backlog=1)

    assert api_client.get(TASK.format("P-1-TASK001")).json()["title"] == "Task 1"
    assert api_client.get(TASK.format("NOPE")).status_code == 404
    assert api_client.patch(TASK.format("NOPE"), {"title": "x"}, format="json").status_code == 404


def test_it_changes_text_and_assignee(api_client):
    make_project("P-1", team=2, backlog=1)

    response = api_client.patch(
        TASK.format("P-1-TASK001"),
        {"title": "Renamed", "description": "Why", "assigned_to": "P-1-E1"},
        format="json",
    )

    assert response.status_code == 200, response.content
    task = Task.objects.get()
    assert (task.title, task.description, task.assigned_to_id) == ("Renamed", "Why", "P-1-E1")
    assert response.json()["assigned_to_name"] == "Member 1 of P-1"

    response = api_client.patch(TASK.format("P-1-TASK001"), {"assigned_to": None}, format="json")

    assert response.status_code == 200
    assert Task.objects.get().assigned_to_id is None


@pytest.mark.parametrize(
    ("progress", "status"),
    [
        (0, TaskStatus.ASSIGNED_TO_SPRINT),
        (35, TaskStatus.IN_PROGRESS),
        (99, TaskStatus.IN_PROGRESS),
        (100, TaskStatus.COMPLETED),
    ],
)
def test_progress_of_a_task_in_a_sprint_sets_its_status(api_client, progress, status):
    project = make_project("P-1", team=1, backlog=1)
    start_sprint(project, tasks=1)
    Task.objects.update(progress_percentage=20, status=TaskStatus.IN_PROGRESS)

    response = api_client.patch(
        TASK.format("P-1-TASK001"), {"progress_percentage": progress}, format="json"
    )

    assert response.status_code == 200, response.content
    task = Task.objects.get()
    assert (task.progress_percentage, task.status, task.sprint_id) == (progress, status, "P-1-S01")
    assert response.json()["status"] == status


@pytest.mark.parametrize(
    ("progress", "status"),
    [(0, TaskStatus.UNASSIGNED), (60, TaskStatus.UNASSIGNED), (100, TaskStatus.COMPLETED)],
)
def test_progress_of_a_backlog_task_sets_its_status(api_client, progress, status):
    make_project("P-1", backlog=1)

    response = api_client.patch(
        TASK.format("P-1-TASK001"), {"progress_percentage": progress}, format="json"
    )

    assert response.status_code == 200
    task = Task.objects.get()
    assert (task.progress_percentage, task.status, task.sprint_id) == (progress, status, None)


def test_a_completed_task_going_back_below_100_is_in_progress_again(api_client):
    project = make_project("P-1", team=1, backlog=1)
    start_sprint(project, tasks=1)
    api_client.patch(TASK.format("P-1-TASK001"), {"progress_percentage": 100}, format="json")

    api_client.patch(TASK.format("P-1-TASK001"), {"progress_percentage": 90}, format="json")

    assert Task.objects.get().status == TaskStatus.IN_PROGRESS


def test_the_progress_of_a_task_kept_by_a_closed_sprint_cannot_change(api_client):
    project = make_project("P-1", team=1)
    (sprint,) = add_closed_sprints(project, [(2, 2)])
    task = Task.objects.filter(sprint=sprint).first()
    assert task is not None

    response = api_client.patch(TASK.format(task.pk), {"progress_percentage": 50}, format="json")
    renamed = api_client.patch(TASK.format(task.pk), {"title": "Renamed"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert renamed.status_code == 200
    task.refresh_from_db()
    assert (task.progress_percentage, task.status, task.title) == (100, "completed", "Renamed")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"progress_percentage": 101}, "progress_percentage"),
        ({"progress_percentage": "10"}, "progress_percentage"),
        ({"progress_percentage": None}, "progress_percentage"),
        ({"status": "completed"}, "status"),
        ({"sprint": "P-1-S09"}, "sprint"),
        ({"task_id": "OTHER"}, "task_id"),
        ({"project": "P-2"}, "project"),
        ({"assigned_to": "GHOST"}, "assigned_to"),
        ({"title": 3}, "title"),
        ({"estimate": 3}, "estimate"),
    ],
)
def test_it_refuses_bad_task_changes_and_changes_nothing(api_client, body, field):
    make_project("P-1", team=1, backlog=1)
    Employee.objects.create(employee_id="GHOST", name="Not in the team")

    response = api_client.patch(TASK.format("P-1-TASK001"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    task = Task.objects.get()
    assert (task.task_id, task.title, task.progress_percentage, task.status) == (
        "P-1-TASK001",
        "Task 1",
        0,
        "unassigned",
    )
    assert task.assigned_to_id is None
