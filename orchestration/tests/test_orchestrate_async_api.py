"""Prefer: respond-async and Idempotency-Key on POST /orchestrate/project/{id}, through
HTTP (the jobs are run by real workers in test_workers.py)."""

from __future__ import annotations

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from conftest import make_project
from orchestration.models import DecisionAudit, IdempotentRequest, Sprint
from perfmetrics.models import Run

URL = "/orchestrate/project/{}"
BODY = {"action": "analyze_and_orchestrate"}
ASYNC = {"HTTP_PREFER": "respond-async"}


def post(client, project_id="TEST-001", body=None, **headers):
    return client.post(URL.format(project_id), body or BODY, format="json", **headers)


@pytest.mark.django_db
def test_respond_async_answers_202_with_the_jobs_location_and_does_nothing_yet(api_client):
    make_project(backlog=5)

    response = post(api_client, **ASYNC)

    assert response.status_code == 202
    body = response.json()
    assert response.headers["Location"] == f"/orchestrate/jobs/{body['job_id']}"
    assert body["status"] == "queued"
    assert body["project_id"] == "TEST-001"
    job = ProcrastinateJob.objects.get(pk=body["job_id"])
    assert job.task_name == "orchestration.orchestrate_project"
    assert job.args["project_id"] == "TEST-001"
    assert not Sprint.objects.exists()
    shown = api_client.get(response.headers["Location"])
    assert shown.status_code == 200
    assert shown.json() == body


@pytest.mark.django_db
def test_a_second_async_request_while_one_is_queued_gets_the_same_job(api_client):
    make_project(backlog=5)

    first = post(api_client, **ASYNC).json()
    second = post(api_client, **ASYNC).json()

    assert second["job_id"] == first["job_id"]
    assert ProcrastinateJob.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("prefer", ["return=minimal", "wait=10", "respond-asynchronously"])
def test_other_preferences_are_ignored(api_client, prefer):
    make_project(backlog=5)

    response = post(api_client, HTTP_PREFER=prefer)

    assert response.status_code == 200
    assert Sprint.objects.count() == 1


@pytest.mark.django_db
def test_respond_async_is_found_among_other_preferences(api_client):
    make_project(backlog=5)

    response = post(api_client, HTTP_PREFER="wait=5, Respond-Async; foo=bar")

    assert response.status_code == 202


@pytest.mark.django_db
def test_an_unknown_job_is_a_404(api_client):
    response = api_client.get("/orchestrate/jobs/999999")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_an_async_request_for_an_unknown_project_is_a_404_and_queues_nothing(api_client):
    response = post(api_client, "NOPE", **ASYNC)

    assert response.status_code == 404
    assert not ProcrastinateJob.objects.exists()


@pytest.mark.django_db
def test_a_repeated_idempotency_key_returns_the_stored_answer_and_acts_once(api_client):
    make_project(backlog=5)

    first = post(api_client, HTTP_IDEMPOTENCY_KEY="key-1")
    second = post(api_client, HTTP_IDEMPOTENCY_KEY="key-1")

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert Sprint.objects.count() == 1
    assert Run.objects.count() == 1
    assert DecisionAudit.objects.count() == 1


@pytest.mark.django_db
def test_the_same_idempotency_key_with_another_body_is_a_422(api_client):
    make_project(backlog=5)
    post(api_client, HTTP_IDEMPOTENCY_KEY="key-1")

    response = post(
        api_client,
        body={**BODY, "options": {"max_tasks_per_sprint": 3}},
        HTTP_IDEMPOTENCY_KEY="key-1",
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Run.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "has space", "é", "x" * 256])
def test_a_malformed_idempotency_key_is_a_400_and_nothing_is_done(api_client, key):
    make_project(backlog=5)

    response = post(api_client, HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Sprint.objects.exists()
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_an_idempotent_async_request_replays_its_202_and_location(api_client):
    make_project(backlog=5)

    first = post(api_client, HTTP_IDEMPOTENCY_KEY="key-a", **ASYNC)
    second = post(api_client, HTTP_IDEMPOTENCY_KEY="key-a", **ASYNC)

    assert second.status_code == 202
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert ProcrastinateJob.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_request_does_not_keep_its_key(api_client):
    first = post(api_client, "NOPE", HTTP_IDEMPOTENCY_KEY="key-1")
    make_project("NOPE", backlog=5)

    second = post(api_client, "NOPE", HTTP_IDEMPOTENCY_KEY="key-1")

    assert first.status_code == 404
    assert second.status_code == 200
