"""One orchestration reads the team and the decision configuration once, and names the
sprint it opens once, however many steps (state, closing, opening) use them."""

from __future__ import annotations

from unittest import mock

import pytest

from conftest import add_closed_sprints, make_project
from orchestration.engine import rules
from orchestration.models import Sprint, Task, TaskStatus
from orchestration.services import sprints

pytestmark = pytest.mark.django_db
URL = "/orchestrate/project/TEST-001"
# Everything one request issues: the token, the analysis, the pattern analysis, the
# actions, the audit and the performance run. Before the team was read once per request
# these were 29 and 41 (two and three reads of the team). Since then: one UPDATE that moves
# the project's assignment rotation, and setting and resetting the lock timeout around the
# project lock (2).
OPENING_A_SPRINT = 31
CLOSING_AND_OPENING = 42


def orchestrate(api_client, **options):
    body = {"action": "analyze_and_orchestrate", "options": options}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def reads_of(table: str, queries) -> int:
    return sum(f'"orchestration_{table}"' in query["sql"] for query in queries)


def assignees(sprint_id: str) -> list[str]:
    """The members a sprint's tasks went to, oldest task first, without the project prefix."""
    tasks = Task.objects.filter(sprint_id=sprint_id).order_by("created_at", "task_id")
    return [
        str(employee).removeprefix("TEST-001-")
        for employee in tasks.values_list("assigned_to", flat=True)
    ]


def complete_sprint(sprint_id: str) -> None:
    Task.objects.filter(sprint_id=sprint_id).update(
        progress_percentage=100, status=TaskStatus.COMPLETED
    )


def test_opening_a_sprint_reads_the_team_and_the_configuration_once(
    api_client, django_assert_max_num_queries
):
    make_project(backlog=5)

    with django_assert_max_num_queries(OPENING_A_SPRINT) as captured:
        body = orchestrate(api_client)

    assert body["sprint_id"] == "TEST-001-S01"
    assert reads_of("projectmembership", captured.captured_queries) == 1
    assert reads_of("decisionmodeconfig", captured.captured_queries) == 1
    # The team read for the analysis is the one the assignment goes round.
    assert assignees("TEST-001-S01") == ["E1", "E2", "E3", "E1", "E2"]


def test_closing_and_opening_in_one_call_reads_the_team_once(
    api_client, django_assert_max_num_queries
):
    project = make_project(backlog=12)
    add_closed_sprints(project, [(6, 5), (6, 6)])
    orchestrate(api_client)
    complete_sprint("TEST-001-S03")

    with django_assert_max_num_queries(CLOSING_AND_OPENING) as captured:
        body = orchestrate(api_client)

    assert (body["decisions"]["sprint_id_to_close"], body["sprint_id"]) == (
        "TEST-001-S03",
        "TEST-001-S04",
    )
    assert reads_of("projectmembership", captured.captured_queries) == 1
    assert reads_of("decisionmodeconfig", captured.captured_queries) == 1
    features = project.history_features
    features.refresh_from_db()
    assert (features.team_size, features.closed_sprints) == (3, 3)
    # S03's ten tasks went E1, E2, E3, ... E1: the project's rotation goes on with E2.
    assert assignees("TEST-001-S04") == ["E2", "E3"]


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_new_sprint_id_is_computed_once_per_request(api_client, dry_run):
    make_project(backlog=3)
    spy = mock.Mock(wraps=rules.sprint_identifier)

    with (
        mock.patch.object(rules, "sprint_identifier", spy),
        mock.patch.object(sprints, "sprint_identifier", spy),
    ):
        body = orchestrate(api_client, dry_run=dry_run)

    spy.assert_called_once_with("TEST-001", 1)
    assert body["decisions"]["sprint_name"] == body["sprint_id"] == "TEST-001-S01"
    assert body["cronjob_name"] == "run-dailyscrum-test-001-test-001-s01-c4fb9a5df00c"
    assert Sprint.objects.filter(pk="TEST-001-S01").exists() is not dry_run
