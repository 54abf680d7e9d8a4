"""GET /orchestrate/project/{id}/status and DELETE /orchestrate/project/{id}/cronjob/{name}."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from conftest import add_closed_sprints, make_project
from orchestration.engine.schedule import next_fire_time
from orchestration.models import DailyScrumSchedule, Task, TaskStatus

STATUS = "/orchestrate/project/{}/status"
CRONJOB = "/orchestrate/project/{}/cronjob/{}"
ORCHESTRATE = "/orchestrate/project/{}"
STATUS_QUERIES = 11


def open_sprint(client: APIClient, project_id: str = "TEST-001") -> Any:
    response = client.post(
        ORCHESTRATE.format(project_id),
        {"action": "analyze_and_orchestrate", "options": {"enable_pattern_recognition": False}},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_it_reports_the_open_sprint_backlog_and_schedule(api_client):
    make_project(backlog=15)
    opened = open_sprint(api_client)
    Task.objects.filter(pk__in=["TEST-001-TASK001", "TEST-001-TASK002"]).update(
        progress_percentage=100
    )
    Task.objects.filter(pk="TEST-001-TASK003").update(
        status=TaskStatus.IN_PROGRESS, progress_percentage=40
    )

    response = api_client.get(STATUS.format("TEST-001"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["project_id"] == "TEST-001"
    assert body["status"] == "in_progress"
    assert body["team_size"] == 3
    sprint = body["current_sprint"]
    assert sprint["sprint_id"] == opened["sprint_id"] == "TEST-001-S01"
    assert sprint["status"] == "in_progress"
    assert sprint["task_summary"] == {"total": 10, "completed": 2, "pending": 8}
    assert body["backlog"] == {
        "total": 15,
        "unassigned": 5,
        "assigned_to_sprint": 9,
        "in_progress": 1,
        "completed": 0,
    }
    schedule = DailyScrumSchedule.objects.get()
    assert body["schedules"] == [
        {
            "name": schedule.name,
            "project_id": "TEST-001",
            "sprint_id": "TEST-001-S01",
            "cron_schedule": "0 14 * * 1-5",
            "is_active": True,
            "created_at": schedule.created_at.isoformat().replace("+00:00", "Z"),
            "deactivated_at": None,
            "deactivation_reason": "",
            "last_run_at": None,
            "next_run_at": next_fire_time("0 14 * * 1-5", after=schedule.created_at)
            .isoformat()
            .replace("+00:00", "Z"),
        }
    ]
    assert (body["active_schedules"], body["total_schedules"]) == (1, 1)


@pytest.mark.django_db
def test_it_shows_the_last_closed_sprint_when_none_is_open(api_client):
    project = make_project(backlog=2)
    add_closed_sprints(project, [(8, 6), (10, 7)])

    body = api_client.get(STATUS.format("TEST-001")).json()

    sprint = body["current_sprint"]
    assert sprint["sprint_id"] == "TEST-001-S02"
    assert sprint["status"] == "closed_with_pending_tasks"
    assert sprint["task_summary"] == {"total": 10, "completed": 7, "pending": 3}
    assert body["backlog"]["unassigned"] == 2
    assert body["backlog"]["completed"] == 18


@pytest.mark.django_db
def test_it_reports_a_new_project_without_sprint_or_schedule(api_client):
    make_project(backlog=4)

    body = api_client.get(STATUS.format("TEST-001")).json()

    assert body["status"] == "inactive"
    assert body["current_sprint"] is None
    assert body["backlog"]["total"] == body["backlog"]["unassigned"] == 4
    assert body["schedules"] == []
    assert (body["active_schedules"], body["total_schedules"]) == (0, 0)
    insights = body["latest_insights"]
    assert insights["similar_project_count"] == 0
    assert insights["data_quality_report"]["closed_sprints"] == 0
    assert insights["insights_summary"].startswith("No closed sprints yet")


@pytest.mark.django_db
def test_its_insights_agree_with_the_insights_endpoint(api_client):
    project = make_project()
    add_closed_sprints(project, [(10, 8), (10, 9), (10, 10)])
    for peer_id in ("PEER-1", "PEER-2"):
        add_closed_sprints(make_project(peer_id), [(10, 8), (10, 9), (10, 10)])
    add_closed_sprints(make_project("FAR", team=8), [(4, 1), (4, 1)])

    status = api_client.get(STATUS.format("TEST-001")).json()["latest_insights"]
    full = api_client.get("/orchestrate/intelligence/project/TEST-001/insights").json()

    assert status["insights_summary"] == full["insights_summary"]
    assert status["pattern_confidence"] == full["pattern_analysis"]["pattern_confidence"]
    assert status["velocity_trends"] == full["pattern_analysis"]["velocity_trends"]
    assert status["data_quality_report"] == full["data_quality_report"]
    assert status["similar_project_count"] == len(full["pattern_analysis"]["similar_projects"])
    assert status["similar_project_count"] == 2


@pytest.mark.django_db
def test_it_lists_active_schedules_first_and_at_most_twenty(api_client):
    project = make_project()
    sprints = add_closed_sprints(project, [(1, 1)] * 22)
    DailyScrumSchedule.objects.bulk_create(
        DailyScrumSchedule(
            name=f"schedule-{i:02d}",
            project=project,
            sprint=sprint,
            cron_schedule="0 9 * * 1-5",
            is_active=i == 0,
        )
        for i, sprint in enumerate(sprints)
    )

    body = api_client.get(STATUS.format("TEST-001")).json()

    assert len(body["schedules"]) == 20
    assert body["schedules"][0]["name"] == "schedule-00"
    assert [s["is_active"] for s in body["schedules"]] == [True] + [False] * 19
    assert (body["active_schedules"], body["total_schedules"]) == (1, 22)


@pytest.mark.django_db
def test_status_answers_404_for_an_unknown_project(api_client):
    response = api_client.get(STATUS.format("NOPE"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_status_requires_a_token():
    make_project()

    assert APIClient().get(STATUS.format("TEST-001")).status_code == 401


def status_queries(client: APIClient, project_id: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(STATUS.format(project_id)).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_status_queries_do_not_grow_with_projects_or_sprints(
    api_client, django_assert_max_num_queries
):
    add_closed_sprints(make_project(backlog=15), [(5, 4)] * 2)
    open_sprint(api_client)
    few = status_queries(api_client, "TEST-001")

    add_closed_sprints(make_project("BIG", backlog=15), [(6, 5)] * 12)
    open_sprint(api_client, "BIG")
    for i in range(1, 8):
        add_closed_sprints(make_project(f"PEER-{i}"), [(6, 5)] * 6)

    with django_assert_max_num_queries(STATUS_QUERIES):
        assert api_client.get(STATUS.format("BIG")).status_code == 200
    assert status_queries(api_client, "BIG") == few


# --- DELETE .../cronjob/{name} --------------------------------------------------------------


@pytest.mark.django_db
def test_it_deactivates_a_schedule(api_client):
    make_project(backlog=5)
    name = open_sprint(api_client)["cronjob_name"]

    response = api_client.delete(CRONJOB.format("TEST-001", name))

    assert response.status_code == 200, response.content
    schedule = DailyScrumSchedule.objects.get(name=name)
    assert schedule.is_active is False
    assert schedule.deactivated_at is not None
    body = response.json()
    assert body["name"] == name
    assert body["is_active"] is False
    assert body["deactivated_at"] == schedule.deactivated_at.isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_deactivating_an_inactive_schedule_keeps_its_deactivation_time(api_client):
    make_project(backlog=5)
    name = open_sprint(api_client)["cronjob_name"]
    api_client.delete(CRONJOB.format("TEST-001", name))
    first = DailyScrumSchedule.objects.get(name=name).deactivated_at

    response = api_client.delete(CRONJOB.format("TEST-001", name))

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert DailyScrumSchedule.objects.get(name=name).deactivated_at == first


@pytest.mark.django_db
def test_the_next_orchestration_never_reactivates_a_schedule_an_operator_deactivated(
    api_client,
):
    make_project(backlog=5)
    name = open_sprint(api_client)["cronjob_name"]
    api_client.delete(CRONJOB.format("TEST-001", name))

    body = open_sprint(api_client)

    assert body["decisions"]["cronjob_created"] is False
    schedule = DailyScrumSchedule.objects.get(name=name)
    assert schedule.is_active is False
    assert schedule.deactivation_reason == "operator"


@pytest.mark.django_db
def test_the_next_orchestration_recreates_a_missing_schedule(api_client):
    make_project(backlog=5)
    name = open_sprint(api_client)["cronjob_name"]
    DailyScrumSchedule.objects.filter(name=name).delete()

    body = open_sprint(api_client)

    assert body["decisions"]["cronjob_created"] is True
    assert DailyScrumSchedule.objects.get(name=name).is_active is True


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_schedule(api_client):
    make_project()

    response = api_client.delete(CRONJOB.format("TEST-001", "run-dailyscrum-nope"))

    assert response.status_code == 404
    assert "run-dailyscrum-nope" in response.json()["detail"]


@pytest.mark.django_db
def test_it_does_not_deactivate_another_projects_schedule(api_client):
    make_project("OTHER", backlog=5)
    name = open_sprint(api_client, "OTHER")["cronjob_name"]
    make_project()

    response = api_client.delete(CRONJOB.format("TEST-001", name))

    assert response.status_code == 404
    assert DailyScrumSchedule.objects.get(name=name).is_active is True


@pytest.mark.django_db
def test_cronjob_answers_404_for_an_unknown_project(api_client):
    make_project("OTHER", backlog=5)
    name = open_sprint(api_client, "OTHER")["cronjob_name"]

    response = api_client.delete(CRONJOB.format("NOPE", name))

    assert response.status_code == 404
    assert response.json()["detail"] == "Project 'NOPE' does not exist."
    assert DailyScrumSchedule.objects.get(name=name).is_active is True


@pytest.mark.django_db
def test_cronjob_requires_a_token(api_client):
    make_project(backlog=5)
    name = open_sprint(api_client)["cronjob_name"]

    response = APIClient().delete(CRONJOB.format("TEST-001", name))

    assert response.status_code == 401
    assert DailyScrumSchedule.objects.get(name=name).is_active is True
