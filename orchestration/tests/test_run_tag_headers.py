from __future__ import annotations

from unittest import mock

import pytest
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient

from conftest import make_project
from orchestration.models import DecisionAudit
from orchestration.views.orchestrate import OrchestrateProjectView
from perfmetrics.models import Run

URL = "/orchestrate/project/TEST-001"
BODY = {"action": "analyze_and_orchestrate", "options": {"dry_run": True}}
pytestmark = pytest.mark.django_db


def post(client, **headers):
    return client.post(URL, BODY, format="json", headers=headers)


def test_the_run_is_recorded_with_the_source_and_label_of_the_headers(api_client):
    make_project(backlog=3)

    response = post(api_client, **{"X-Perf-Source": "perftest", "X-Perf-Label": "pt-1:baseline"})

    assert response.status_code == 200, response.content
    run = Run.objects.get(pk=response.json()["run_id"])
    assert run.source == "perftest"
    assert run.labels == {"label": "pt-1:baseline"}


def test_without_headers_the_run_is_an_api_run_without_labels(api_client):
    make_project(backlog=3)

    response = post(api_client)

    run = Run.objects.get(pk=response.json()["run_id"])
    assert (run.source, run.labels) == ("api", {})


def test_a_label_alone_keeps_the_default_source(api_client):
    make_project(backlog=3)

    response = post(api_client, **{"X-Perf-Label": "nightly_2026.11.30"})

    run = Run.objects.get(pk=response.json()["run_id"])
    assert (run.source, run.labels) == ("api", {"label": "nightly_2026.11.30"})


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"X-Perf-Source": "loadtest"}, "X-Perf-Source"),
        ({"X-Perf-Source": ""}, "X-Perf-Source"),
        ({"X-Perf-Label": "x" * 65}, "X-Perf-Label"),
        ({"X-Perf-Label": "has space"}, "X-Perf-Label"),
        ({"X-Perf-Label": "semi;colon"}, "X-Perf-Label"),
        ({"X-Perf-Label": ""}, "X-Perf-Label"),
    ],
)
def test_bad_header_values_are_refused_and_nothing_is_recorded(api_client, headers, field):
    make_project(backlog=3)

    response = post(api_client, **headers)

    assert response.status_code == 400
    assert field in response.json()
    assert Run.objects.count() == 0
    assert DecisionAudit.objects.count() == 0


def test_a_64_character_label_is_accepted(api_client):
    make_project(backlog=3)

    response = post(api_client, **{"X-Perf-Label": "a" * 64})

    assert response.status_code == 200
    assert Run.objects.get().labels == {"label": "a" * 64}


def test_anonymous_callers_cannot_tag_runs_even_where_anonymous_access_is_allowed():
    make_project(backlog=3)

    with mock.patch.object(OrchestrateProjectView, "permission_classes", [AllowAny]):
        response = post(APIClient(), **{"X-Perf-Source": "perftest", "X-Perf-Label": "spoof"})

    assert response.status_code == 200, response.content
    assert (Run.objects.get().source, Run.objects.get().labels) == ("api", {})


def test_the_schema_documents_both_headers(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    parameters = schema["paths"]["/orchestrate/project/{project_id}"]["post"]["parameters"]
    headers = {p["name"]: p for p in parameters if p["in"] == "header"}
    assert set(headers["X-Perf-Source"]["schema"]["enum"]) == {"api", "perftest", "cli", "locust"}
    assert headers["X-Perf-Label"]["schema"]["pattern"] == "^[A-Za-z0-9_.:-]+$"
