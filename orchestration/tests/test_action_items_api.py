"""Retrospective action items: GET /api/projects/{id}/action-items/ and
PATCH /api/action-items/{id}/ (docs/design.md §3.7); the next retrospective counts the
earlier items still open (§3.3)."""

from __future__ import annotations

import pytest

from conftest import make_project, start_sprint
from orchestration.models import (
    ActionItemStatus,
    RetrospectiveActionItem,
    SprintRetrospective,
    Task,
)
from orchestration.services.sprints import close_sprint

pytestmark = pytest.mark.django_db
LIST = "/api/projects/{}/action-items/"
ITEM = "/api/action-items/{}/"


def close_with_leftovers(project, *, sprint_tasks: int = 3) -> SprintRetrospective:
    """Open a sprint, move one task along, close it: two action items (in progress,
    never started), plus the scope one when less than half was done."""
    sprint = start_sprint(project, sprint_tasks)
    Task.objects.filter(sprint=sprint).order_by("task_id").filter(
        pk=Task.objects.filter(sprint=sprint).order_by("task_id").values("pk")[:1]
    ).update(progress_percentage=40)
    close_sprint(project=project, sprint_id=sprint.pk)
    return SprintRetrospective.objects.get(sprint=sprint)


def test_it_lists_the_projects_action_items_with_their_sprint(api_client):
    project = make_project(backlog=6)
    retrospective = close_with_leftovers(project)
    close_with_leftovers(make_project("OTHER", backlog=3))

    response = api_client.get(LIST.format("TEST-001"))

    assert response.status_code == 200, response.content
    body = response.json()
    items = list(retrospective.action_items.order_by("id"))
    assert body["count"] == len(items) >= 2
    assert [r["id"] for r in body["results"]] == [i.pk for i in items]
    first = body["results"][0]
    assert first["sprint"] == retrospective.sprint_id
    assert first["status"] == "open"
    assert first["description"] == items[0].description


def test_it_marks_an_item_done_and_filters_by_status(api_client):
    project = make_project(backlog=6)
    item = close_with_leftovers(project).action_items.order_by("id").first()

    response = api_client.patch(ITEM.format(item.pk), {"status": "done"}, format="json")
    open_items = api_client.get(LIST.format("TEST-001"), {"status": "open"}).json()
    done_items = api_client.get(LIST.format("TEST-001"), {"status": "done"}).json()

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    assert [r["id"] for r in done_items["results"]] == [item.pk]
    assert item.pk not in {r["id"] for r in open_items["results"]}


@pytest.mark.parametrize(
    "body",
    [{"status": "closed"}, {"status": None}, {}, {"description": "x"}, {"status": "done", "x": 1}],
)
def test_a_bad_update_is_a_400_and_changes_nothing(api_client, body):
    item = close_with_leftovers(make_project(backlog=3)).action_items.first()

    response = api_client.patch(ITEM.format(item.pk), body, format="json")

    assert response.status_code == 400, response.content
    item.refresh_from_db()
    assert (item.status, item.description) != ("done", "x")
    assert item.status == ActionItemStatus.OPEN


def test_unknown_items_and_projects_are_404s(api_client):
    assert (
        api_client.patch(ITEM.format(999999), {"status": "done"}, format="json").status_code == 404
    )
    assert api_client.get(LIST.format("NOPE")).status_code == 404


def test_the_next_retrospective_reports_the_earlier_items_still_open(api_client):
    project = make_project(backlog=9)
    first = close_with_leftovers(project)
    earlier = list(first.action_items.order_by("id"))
    api_client.patch(ITEM.format(earlier[0].pk), {"status": "done"}, format="json")

    second = close_with_leftovers(project)

    still_open = len(earlier) - 1
    assert second.earlier_open_action_items == still_open
    assert (
        f"{still_open} action item(s) from earlier retrospectives are still open"
        in second.what_could_be_improved
    )
    detail = api_client.get(f"/api/sprints/{second.sprint_id}/").json()
    assert detail["retrospective"]["earlier_open_action_items"] == still_open
    assert len(detail["retrospective"]["action_items"]) == second.action_items.count()
    assert RetrospectiveActionItem.objects.filter(status="open").count() >= still_open
