from __future__ import annotations

import pytest

from conftest import make_project
from orchestration.models import DailyScrumSchedule, DecisionAudit, Sprint, Task, TaskStatus
from perfmetrics.models import Run

URL = "/orchestrate/project/{}"


@pytest.mark.django_db
def test_it_opens_the_first_sprint_and_assigns_the_oldest_tasks(api_client):
    make_project(backlog=15)

    response = api_client.post(
        URL.format("TEST-001"), {"action": "analyze_and_orchestrate"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decisions"]["create_new_sprint"] is True
    assert body["decisions"]["tasks_to_assign"] == 10
    assert body["sprint_id"] == "TEST-001-S01"
    assert body["cronjob_name"] == "run-dailyscrum-test-001-test-001-s01"
    sprint = Sprint.objects.get()
    assert sprint.sprint_id == "TEST-001-S01"
    assigned = Task.objects.filter(sprint=sprint).order_by("task_id")
    assert [t.task_id for t in assigned] == [f"TEST-001-TASK{i:03d}" for i in range(1, 11)]
    assert {t.status for t in assigned} == {TaskStatus.ASSIGNED_TO_SPRINT}
    assert DailyScrumSchedule.objects.get().is_active
    assert DecisionAudit.objects.get().run_id == body["run_id"]
    assert Run.objects.get().pk == body["run_id"]
