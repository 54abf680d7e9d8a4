"""GET /orchestrate/intelligence/decision-audit/{id}: the audit trail, newest first, paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from conftest import make_project
from orchestration.models import DecisionAudit, Project

URL = "/orchestrate/intelligence/decision-audit/{}"
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def add_audits(project: Project, count: int, *, dry_run: bool = False) -> list[DecisionAudit]:
    """``count`` audits whose creation times run backwards as their ids grow."""
    audits = DecisionAudit.objects.bulk_create(
        DecisionAudit(
            project=project,
            dry_run=dry_run,
            decision_source="rule_based_only",
            base_decision={"tasks_to_assign": i},
            final_decision={"tasks_to_assign": i},
            reasoning=f"decision {i}",
        )
        for i in range(count)
    )
    first = DecisionAudit.objects.count() - count
    for offset, audit in enumerate(audits):
        audit.created_at = T0 - timedelta(minutes=first + offset)
    DecisionAudit.objects.bulk_update(audits, ["created_at"])
    return audits


@pytest.mark.django_db
def test_it_lists_the_trail_newest_first_in_pages(api_client):
    audits = add_audits(make_project(), 7)
    newest_first = [a.pk for a in sorted(audits, key=lambda a: a.created_at, reverse=True)]

    pages = [
        api_client.get(URL.format("TEST-001"), {"page": n, "page_size": 3}).json()
        for n in (1, 2, 3)
    ]

    assert [p["count"] for p in pages] == [7, 7, 7]
    assert [len(p["results"]) for p in pages] == [3, 3, 1]
    assert pages[0]["previous"] is None
    assert pages[2]["next"] is None
    assert [r["id"] for p in pages for r in p["results"]] == newest_first
    # Ids grow while times go back, so the order really follows created_at.
    assert newest_first == sorted(newest_first)
    past_the_end = api_client.get(URL.format("TEST-001"), {"page": 4, "page_size": 3})
    assert past_the_end.status_code == 404


@pytest.mark.django_db
def test_each_entry_carries_the_stored_decision(api_client):
    (audit,) = add_audits(make_project(), 1)

    (entry,) = api_client.get(URL.format("TEST-001")).json()["results"]

    assert entry == {
        "id": audit.pk,
        "run_id": None,
        "created_at": "2026-11-30T12:00:00Z",
        "dry_run": False,
        "decision_source": "rule_based_only",
        "base_decision": {"tasks_to_assign": 0},
        "proposed_adjustments": [],
        "applied_adjustments": [],
        "final_decision": {"tasks_to_assign": 0},
        "reasoning": "decision 0",
        "sprint_opened": None,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("value", "expected"), [("true", 2), ("false", 3), (None, 5)])
def test_it_filters_on_dry_run(api_client, value, expected):
    project = make_project()
    add_audits(project, 2, dry_run=True)
    add_audits(project, 3, dry_run=False)

    params = {} if value is None else {"dry_run": value}
    body = api_client.get(URL.format("TEST-001"), params).json()

    assert body["count"] == expected
    if value is not None:
        assert {r["dry_run"] for r in body["results"]} == {value == "true"}


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["yes", "1", "TRUE"])
def test_it_rejects_a_bad_dry_run_filter(api_client, value):
    add_audits(make_project(), 1)

    response = api_client.get(URL.format("TEST-001"), {"dry_run": value})

    assert response.status_code == 400
    assert "dry_run" in response.json()


@pytest.mark.django_db
def test_it_shows_only_the_projects_own_audits(api_client):
    add_audits(make_project(), 2)
    add_audits(make_project("OTHER"), 3)

    body = api_client.get(URL.format("TEST-001")).json()

    assert body["count"] == 2
    assert set(
        DecisionAudit.objects.filter(project_id="TEST-001").values_list("pk", flat=True)
    ) == {r["id"] for r in body["results"]}


@pytest.mark.django_db
def test_a_real_orchestration_appears_in_the_trail_and_a_dry_run_does_not(api_client):
    make_project(backlog=12)
    dry = api_client.post(
        "/orchestrate/project/TEST-001",
        {"action": "analyze_and_orchestrate", "options": {"dry_run": True}},
        format="json",
    ).json()
    real = api_client.post(
        "/orchestrate/project/TEST-001", {"action": "analyze_and_orchestrate"}, format="json"
    ).json()

    (newest,) = api_client.get(URL.format("TEST-001")).json()["results"]

    assert (newest["run_id"], newest["dry_run"]) == (real["run_id"], False)
    assert newest["sprint_opened"] == real["sprint_id"] == "TEST-001-S01"
    assert newest["final_decision"]["tasks_to_assign"] == 10
    assert newest["decision_source"] == real["decisions"]["decision_source"]
    assert dry["decision_audit"]["id"] is None


@pytest.mark.django_db
def test_audit_answers_404_for_an_unknown_project(api_client):
    response = api_client.get(URL.format("NOPE"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_audit_requires_a_token():
    add_audits(make_project(), 1)

    assert APIClient().get(URL.format("TEST-001")).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("audits", [1, 60])
def test_audit_queries_do_not_grow_with_the_trail(api_client, django_assert_num_queries, audits):
    project = make_project()
    add_audits(project, audits)
    add_audits(make_project("OTHER"), 40)

    # The token, the project, the count and one page.
    with django_assert_num_queries(4):
        assert api_client.get(URL.format("TEST-001"), {"page_size": 50}).status_code == 200
