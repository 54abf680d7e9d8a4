"""Per-project cadence: time zone, start weekday, default duration and max tasks
(docs/design.md §3.1, "Project cadence")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest

from conftest import make_project
from orchestration.models import DailyScrumReport, Project, Sprint, Task
from orchestration.services.daily_scrum import run_daily_scrum

pytestmark = pytest.mark.django_db
PROJECT = "/api/projects/{}/"
URL = "/orchestrate/project/{}"


def orchestrate(client, project_id="TEST-001", **options):
    body = {"action": "analyze_and_orchestrate", "options": options}
    return client.post(URL.format(project_id), body, format="json")


CADENCE = {
    "time_zone": "Pacific/Kiritimati",
    "sprint_start_weekday": "monday",
    "default_sprint_duration_weeks": 3,
    "default_max_tasks_per_sprint": 4,
}


def test_a_project_stores_its_cadence(api_client):
    make_project()

    response = api_client.patch(PROJECT.format("TEST-001"), CADENCE, format="json")

    assert response.status_code == 200, response.content
    assert {k: response.json()[k] for k in CADENCE} == CADENCE
    project = Project.objects.get()
    assert (project.time_zone, project.sprint_start_weekday) == ("Pacific/Kiritimati", "monday")
    assert (project.default_sprint_duration_weeks, project.default_max_tasks_per_sprint) == (3, 4)
    assert api_client.get(PROJECT.format("TEST-001")).json()["time_zone"] == "Pacific/Kiritimati"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_zone", "Mars/Olympus_Mons"),
        ("time_zone", "../../etc/passwd"),
        ("time_zone", ""),
        ("time_zone", "utc\u0000"),
        ("sprint_start_weekday", "funday"),
        ("sprint_start_weekday", 1),
        ("sprint_start_weekday", ""),
        ("default_sprint_duration_weeks", 9),
        ("default_max_tasks_per_sprint", 0),
    ],
)
def test_an_invalid_cadence_is_a_400_naming_the_field(api_client, field, value):
    make_project()

    response = api_client.patch(PROJECT.format("TEST-001"), {field: value}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    project = Project.objects.get()
    assert (project.time_zone, project.sprint_start_weekday) == ("UTC", "")


def test_a_null_start_weekday_starts_sprints_on_the_day_they_open(api_client):
    make_project()
    api_client.patch(PROJECT.format("TEST-001"), {"sprint_start_weekday": "friday"}, format="json")

    response = api_client.patch(
        PROJECT.format("TEST-001"), {"sprint_start_weekday": None}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["sprint_start_weekday"] is None
    assert Project.objects.get().sprint_start_weekday == ""


def test_the_project_defaults_apply_and_request_options_override_them(api_client):
    make_project(backlog=20)
    make_project("OTHER", backlog=20)
    defaults = {"default_sprint_duration_weeks": 3, "default_max_tasks_per_sprint": 4}
    api_client.patch(PROJECT.format("TEST-001"), defaults, format="json")
    api_client.patch(PROJECT.format("OTHER"), defaults, format="json")

    by_default = orchestrate(api_client, enable_pattern_recognition=False).json()
    overridden = orchestrate(
        api_client, "OTHER", sprint_duration_weeks=1, max_tasks_per_sprint=7
    ).json()

    assert (
        by_default["decisions"]["sprint_duration_weeks"],
        by_default["decisions"]["tasks_to_assign"],
    ) == (3, 4)
    assert Sprint.objects.get(project_id="TEST-001").duration_weeks == 3
    assert Task.objects.filter(sprint__project_id="TEST-001").count() == 4
    assert (
        overridden["decisions"]["sprint_duration_weeks"],
        overridden["decisions"]["tasks_to_assign"],
    ) == (1, 7)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("UTC", date(2026, 11, 30)), ("Pacific/Kiritimati", date(2026, 12, 1))],
)
def test_today_is_the_projects_day(api_client, zone, expected):
    make_project(backlog=3)
    api_client.patch(PROJECT.format("TEST-001"), {"time_zone": zone}, format="json")
    late_evening_utc = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)

    with mock.patch("django.utils.timezone.now", return_value=late_evening_utc):
        orchestrate(api_client)

    assert Sprint.objects.get().start_date == expected


def test_sprints_start_on_the_projects_weekday(api_client):
    make_project(backlog=3)
    api_client.patch(PROJECT.format("TEST-001"), {"sprint_start_weekday": "monday"}, format="json")
    wednesday = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

    with mock.patch("django.utils.timezone.now", return_value=wednesday):
        body = orchestrate(api_client).json()

    sprint = Sprint.objects.get()
    assert sprint.start_date == date(2026, 12, 7)
    assert sprint.end_date == date(2026, 12, 7) + timedelta(days=13)
    assert body["analysis"]["team_availability"]["window_start"] == "2026-12-07"


def test_an_overdue_sprint_closes_by_the_projects_day(api_client):
    make_project(backlog=3)
    api_client.patch(PROJECT.format("TEST-001"), {"time_zone": "Pacific/Kiritimati"}, format="json")
    orchestrate(api_client)
    Sprint.objects.update(start_date=date(2026, 11, 17), end_date=date(2026, 11, 30))
    late_evening_utc = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # Dec 1 in Kiritimati

    with mock.patch("django.utils.timezone.now", return_value=late_evening_utc):
        body = orchestrate(api_client).json()

    assert body["decisions"]["sprint_id_to_close"] == "TEST-001-S01"


def test_the_daily_scrum_reports_the_projects_day(api_client):
    make_project(backlog=3)
    api_client.patch(PROJECT.format("TEST-001"), {"time_zone": "Pacific/Kiritimati"}, format="json")
    orchestrate(api_client)
    late_evening_utc = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # Dec 1 in Kiritimati

    with mock.patch("django.utils.timezone.now", return_value=late_evening_utc):
        outcome = run_daily_scrum(project_id="TEST-001")

    assert outcome.report_date == date(2026, 12, 1)
    assert DailyScrumReport.objects.get().report_date == date(2026, 12, 1)
