"""The SQL statements of one orchestration do not depend on how much history exists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from conftest import add_closed_sprints
from orchestration.demo.generate import generate_project
from orchestration.demo.load import load_histories, seed_demo
from orchestration.demo.profile import DemoParameters
from orchestration.models import Project, ProjectHistoryFeatures, Sprint

URL = "/orchestrate/project/TEST-001"
# Token authentication, the orchestration (analysis, patterns, decision, audit) and
# the run record, whatever the size of the history.
MAX_QUERIES_DRY_RUN = 20
# A real call also sets and resets the lock timeout around the project lock (2).
MAX_QUERIES_OPENING_A_SPRINT = 34


def orchestrate(api_client, *, dry_run: bool):
    body = {"action": "analyze_and_orchestrate", "options": {"dry_run": dry_run}}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def grow_history(*, projects: int, sprints: int) -> None:
    """Add ``projects`` generated projects and ``sprints`` more closed sprints of TEST-001."""
    params = DemoParameters(today=timezone.localdate(), projects=projects + 2, sprints=sprints)
    with connection.cursor() as cursor:
        load_histories(cursor.cursor, [generate_project(i, params) for i in range(2, projects + 2)])
    add_closed_sprints(Project.objects.get(pk="TEST-001"), [(6, 5)] * sprints)


@pytest.mark.django_db
def test_a_dry_run_issues_the_same_statements_on_a_small_and_a_large_history(
    api_client, django_assert_max_num_queries
):
    seed_demo(DemoParameters(today=timezone.localdate(), projects=2, sprints=3))
    with django_assert_max_num_queries(MAX_QUERIES_DRY_RUN) as small:
        orchestrate(api_client, dry_run=True)

    grow_history(projects=60, sprints=12)
    with django_assert_max_num_queries(MAX_QUERIES_DRY_RUN) as large:
        body = orchestrate(api_client, dry_run=True)

    assert ProjectHistoryFeatures.objects.count() == 62
    assert body["analysis"]["historical_context"]["pattern_analysis"]["similar_projects"]
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(("projects", "sprints"), [(2, 3), (60, 15)])
def test_opening_a_sprint_stays_within_a_constant_number_of_statements(
    projects, sprints, api_client, django_assert_max_num_queries
):
    seed_demo(DemoParameters(today=timezone.localdate(), projects=projects, sprints=sprints))

    with django_assert_max_num_queries(MAX_QUERIES_OPENING_A_SPRINT):
        body = orchestrate(api_client, dry_run=False)

    assert (
        Sprint.objects.get(pk=body["sprint_id"]).tasks.count()
        == body["decisions"]["tasks_to_assign"]
    )
