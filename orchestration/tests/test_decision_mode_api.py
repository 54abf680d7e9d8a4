"""GET|POST /orchestrate/intelligence/project/{id}/decision-mode."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from conftest import make_project
from orchestration.models import DecisionModeConfig, Project, Sprint

URL = "/orchestrate/intelligence/project/{}/decision-mode"

SETTINGS_DEFAULT = {
    "DECISION_MODE": "rule_based_only",
    "CONFIDENCE_THRESHOLD": 0.65,
    "ENABLE_TASK_COUNT_ADJUSTMENT": False,
    "ENABLE_SPRINT_DURATION_ADJUSTMENT": True,
    "MIN_SIMILAR_PROJECTS": 4,
    "MAX_TASK_ADJUSTMENT_PERCENT": 30.0,
}
ALL_FIELDS = {
    "mode": "intelligence_enhanced",
    "confidence_threshold": 0.8,
    "enable_task_count_adjustment": True,
    "enable_sprint_duration_adjustment": False,
    "min_similar_projects": 2,
    "max_task_adjustment_percent": 25.0,
}


@pytest.fixture
def default_config(settings):
    settings.ORCHESTRATION = SETTINGS_DEFAULT


def config_row(project: Project, **values: object) -> DecisionModeConfig:
    return DecisionModeConfig.objects.create(project=project, **{**ALL_FIELDS, **values})


def stored(project_id: str = "TEST-001") -> dict[str, object]:
    row = DecisionModeConfig.objects.get(project_id=project_id)
    return {name: getattr(row, name) for name in ALL_FIELDS}


@pytest.mark.django_db
def test_it_reads_the_settings_default_for_a_project_without_its_own(api_client, default_config):
    make_project()

    response = api_client.get(URL.format("TEST-001"))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "project_id": "TEST-001",
        "source": "default",
        "mode": "rule_based_only",
        "confidence_threshold": 0.65,
        "enable_task_count_adjustment": False,
        "enable_sprint_duration_adjustment": True,
        "min_similar_projects": 4,
        "max_task_adjustment_percent": 30.0,
        "updated_at": None,
    }


@pytest.mark.django_db
def test_it_reads_the_projects_own_configuration(api_client, default_config):
    row = config_row(make_project())

    body = api_client.get(URL.format("TEST-001")).json()

    assert body["source"] == "project"
    assert {name: body[name] for name in ALL_FIELDS} == ALL_FIELDS
    assert body["updated_at"] == row.updated_at.isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_a_partial_update_starts_from_the_default(api_client, default_config):
    make_project()

    response = api_client.post(
        URL.format("TEST-001"),
        {"mode": "intelligence_enhanced", "min_similar_projects": 2},
        format="json",
    )

    assert response.status_code == 200, response.content
    expected = {
        "mode": "intelligence_enhanced",
        "confidence_threshold": 0.65,
        "enable_task_count_adjustment": False,
        "enable_sprint_duration_adjustment": True,
        "min_similar_projects": 2,
        "max_task_adjustment_percent": 30.0,
    }
    assert stored() == expected
    body = response.json()
    assert body["source"] == "project"
    assert {name: body[name] for name in ALL_FIELDS} == expected
    assert api_client.get(URL.format("TEST-001")).json() == body


@pytest.mark.django_db
def test_a_partial_update_keeps_the_projects_other_values(api_client, default_config):
    config_row(make_project())

    response = api_client.post(URL.format("TEST-001"), {"confidence_threshold": 0.3}, format="json")

    assert response.status_code == 200, response.content
    assert stored() == {**ALL_FIELDS, "confidence_threshold": 0.3}
    assert DecisionModeConfig.objects.count() == 1


@pytest.mark.django_db
def test_it_sets_every_field_at_once(api_client, default_config):
    make_project()

    response = api_client.post(URL.format("TEST-001"), ALL_FIELDS, format="json")

    assert response.status_code == 200, response.content
    assert stored() == ALL_FIELDS


@pytest.mark.django_db
def test_the_stored_mode_drives_the_next_orchestration(api_client, settings):
    settings.ORCHESTRATION = {**SETTINGS_DEFAULT, "DECISION_MODE": "intelligence_enhanced"}
    make_project(backlog=5)
    api_client.post(URL.format("TEST-001"), {"mode": "rule_based_only"}, format="json")

    response = api_client.post(
        "/orchestrate/project/TEST-001", {"action": "analyze_and_orchestrate"}, format="json"
    )

    assert response.json()["decisions"]["decision_source"] == "rule_based_only"
    assert Sprint.objects.get().decision_source == "rule_based_only"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "magic"}, "mode"),
        ({"mode": None}, "mode"),
        ({"confidence_threshold": "0.7"}, "confidence_threshold"),
        ({"confidence_threshold": True}, "confidence_threshold"),
        ({"confidence_threshold": 1.01}, "confidence_threshold"),
        ({"confidence_threshold": -0.1}, "confidence_threshold"),
        ({"enable_task_count_adjustment": "true"}, "enable_task_count_adjustment"),
        ({"enable_sprint_duration_adjustment": 1}, "enable_sprint_duration_adjustment"),
        ({"min_similar_projects": 0}, "min_similar_projects"),
        ({"min_similar_projects": 11}, "min_similar_projects"),
        ({"min_similar_projects": 2.5}, "min_similar_projects"),
        ({"min_similar_projects": "3"}, "min_similar_projects"),
        ({"max_task_adjustment_percent": 100.5}, "max_task_adjustment_percent"),
        ({"max_task_adjustment_percent": -1}, "max_task_adjustment_percent"),
        ({"mode": "rule_based_only", "dry_run": True}, "dry_run"),
        ({}, "non_field_errors"),
    ],
)
def test_it_rejects_bad_input_and_writes_nothing(api_client, default_config, body, field):
    config_row(make_project(), confidence_threshold=0.9)

    response = api_client.post(URL.format("TEST-001"), body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert stored() == {**ALL_FIELDS, "confidence_threshold": 0.9}


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["[]", '"rule_based_only"', "{not json"])
def test_it_rejects_a_body_that_is_not_an_object(api_client, raw):
    make_project()

    response = api_client.generic(
        "POST", URL.format("TEST-001"), raw, content_type="application/json"
    )

    assert response.status_code == 400
    assert not DecisionModeConfig.objects.exists()


@pytest.mark.django_db
def test_bad_settings_are_refused_not_copied_into_the_project(api_client, settings):
    settings.ORCHESTRATION = {**SETTINGS_DEFAULT, "MIN_SIMILAR_PROJECTS": 0}
    make_project()

    response = api_client.post(URL.format("TEST-001"), {"mode": "rule_based_only"}, format="json")

    assert response.status_code == 400
    assert "min_similar_projects" in response.json()["detail"]
    assert not DecisionModeConfig.objects.exists()


@pytest.mark.django_db
def test_decision_mode_answers_404_for_an_unknown_project(api_client):
    make_project()

    read = api_client.get(URL.format("NOPE"))
    write = api_client.post(URL.format("NOPE"), {"mode": "rule_based_only"}, format="json")

    assert (read.status_code, write.status_code) == (404, 404)
    assert write.json()["detail"] == "Project 'NOPE' does not exist."
    assert not DecisionModeConfig.objects.exists()


@pytest.mark.django_db
def test_decision_mode_requires_a_token():
    make_project()
    client = APIClient()

    assert client.get(URL.format("TEST-001")).status_code == 401
    response = client.post(URL.format("TEST-001"), {"mode": "rule_based_only"}, format="json")
    assert response.status_code == 401
    assert not DecisionModeConfig.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("own", [False, True])
def test_reading_the_configuration_is_two_queries(api_client, django_assert_num_queries, own):
    project = make_project()
    if own:
        config_row(project)

    # The token lookup, then the project joined to its own configuration.
    with django_assert_num_queries(2):
        assert api_client.get(URL.format("TEST-001")).status_code == 200
