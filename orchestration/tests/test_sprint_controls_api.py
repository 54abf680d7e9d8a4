"""POST /api/sprints/{id}/close and /api/sprints/{id}/extend (docs/design.md §3.7)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import make_project, start_sprint
from orchestration.models import (
    DailyScrumSchedule,
    Project,
    Sprint,
    SprintControlAudit,
    SprintRetrospective,
    SprintStatus,
    SprintTaskSnapshot,
    Task,
    TaskStatus,
)

pytestmark = pytest.mark.django_db
CLOSE = "/api/sprints/{}/close"
EXTEND = "/api/sprints/{}/extend"
BODIES = {CLOSE: {"reason": "done"}, EXTEND: {"weeks": 1}}


def running_sprint() -> Sprint:
    project = make_project(backlog=4)
    sprint = start_sprint(project, 4)
    Task.objects.filter(task_id="TEST-001-TASK001").update(
        progress_percentage=100, status=TaskStatus.COMPLETED
    )
    Task.objects.filter(task_id="TEST-001-TASK002").update(
        progress_percentage=50, status=TaskStatus.IN_PROGRESS
    )
    DailyScrumSchedule.objects.create(
        name="s", project=project, sprint=sprint, cron_schedule="0 14 * * 1-5"
    )
    return sprint


def test_closing_a_sprint_does_what_orchestration_does_and_is_audited(api_client):
    sprint = running_sprint()

    response = api_client.post(CLOSE.format(sprint.pk), {"reason": "scope cut"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sprint"]["status"] == SprintStatus.CLOSED_WITH_PENDING_TASKS
    sprint.refresh_from_db()
    assert (sprint.status, sprint.task_count, sprint.completed_count) == (
        SprintStatus.CLOSED_WITH_PENDING_TASKS,
        4,
        1,
    )
    assert sprint.closed_at is not None
    assert SprintTaskSnapshot.objects.filter(sprint=sprint).count() == 4
    assert SprintRetrospective.objects.filter(sprint=sprint).exists()
    assert not DailyScrumSchedule.objects.get().is_active
    back = Task.objects.get(task_id="TEST-001-TASK002")
    assert (back.sprint_id, back.status, back.progress_percentage) == (
        None,
        TaskStatus.UNASSIGNED,
        50,
    )
    audit = SprintControlAudit.objects.get()
    assert (audit.sprint_id, audit.action, audit.reason) == (sprint.pk, "close", "scope cut")
    assert audit.requested_by == "api-user"
    assert body["audit"]["action"] == "close"


def test_extending_a_sprint_moves_its_end_date_and_is_audited(api_client):
    sprint = running_sprint()
    end = sprint.end_date

    response = api_client.post(EXTEND.format(sprint.pk), {"weeks": 2}, format="json")

    assert response.status_code == 200, response.content
    sprint.refresh_from_db()
    assert sprint.end_date == end + timedelta(weeks=2)
    assert sprint.duration_weeks == 4
    assert sprint.status == SprintStatus.IN_PROGRESS
    assert response.json()["sprint"]["end_date"] == sprint.end_date.isoformat()
    audit = SprintControlAudit.objects.get()
    assert (audit.action, audit.previous_end_date, audit.new_end_date) == (
        "extend",
        end,
        sprint.end_date,
    )


@pytest.mark.parametrize(
    "body", [{}, {"weeks": 0}, {"weeks": 5}, {"weeks": "2"}, {"weeks": 2.0}, {"weeks": 2, "x": 1}]
)
def test_a_bad_extension_is_a_400_and_changes_nothing(api_client, body):
    sprint = running_sprint()

    response = api_client.post(EXTEND.format(sprint.pk), body, format="json")

    assert response.status_code == 400, response.content
    assert Sprint.objects.get().end_date == sprint.end_date
    assert not SprintControlAudit.objects.exists()


@pytest.mark.parametrize("url", [CLOSE, EXTEND])
def test_a_sprint_that_is_not_in_progress_is_a_409(api_client, url):
    sprint = running_sprint()
    api_client.post(CLOSE.format(sprint.pk), {}, format="json")
    closed = Sprint.objects.get()

    response = api_client.post(url.format(sprint.pk), BODIES[url], format="json")

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "conflict"
    assert Sprint.objects.get().end_date == closed.end_date
    assert SprintControlAudit.objects.count() == 1


@pytest.mark.parametrize("url", [CLOSE, EXTEND])
def test_an_unknown_sprint_is_a_404(api_client, url):
    response = api_client.post(url.format("NOPE-S01"), BODIES[url], format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_deleting_a_project_with_a_running_sprint_names_the_close_endpoint(api_client):
    sprint = running_sprint()

    response = api_client.delete("/api/projects/TEST-001/")

    assert response.status_code == 409
    assert f"POST /api/sprints/{sprint.pk}/close" in response.json()["detail"]
    assert Project.objects.exists()
