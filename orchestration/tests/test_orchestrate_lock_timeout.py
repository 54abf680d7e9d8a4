"""A synchronous orchestration waits ORCHESTRATION_LOCK_TIMEOUT_MS for its project's lock
at most, then answers a clean 409 and writes nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction
from django.test import override_settings

from conftest import make_project
from orchestration.models import DecisionAudit, Project, Sprint
from perfmetrics.models import Run

URL = "/orchestrate/project/TEST-001"
BODY = {"action": "analyze_and_orchestrate"}


def hold_project_lock(project_id: str, locked: threading.Event, release: threading.Event) -> None:
    """Hold the project's row lock on another connection until ``release`` is set."""
    try:
        with transaction.atomic():
            Project.objects.select_for_update().get(pk=project_id)
            locked.set()
            release.wait(30)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
@override_settings(ORCHESTRATION_LOCK_TIMEOUT_MS=300)
def test_a_lock_wait_past_the_timeout_gives_a_clean_409(api_client):
    make_project(backlog=5)
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_project_lock, args=("TEST-001", locked, release))
    holder.start()
    try:
        assert locked.wait(10)
        response = api_client.post(URL, BODY, format="json")
    finally:
        release.set()
        holder.join()

    assert response.status_code == 409
    assert response.json()["code"] == "orchestration_in_progress"
    assert "TEST-001" in response.json()["detail"]
    assert int(response.headers["Retry-After"]) >= 1
    assert not Sprint.objects.exists()
    assert not Run.objects.exists()
    assert not DecisionAudit.objects.exists()


@pytest.mark.django_db(transaction=True)
@override_settings(ORCHESTRATION_LOCK_TIMEOUT_MS=300)
def test_the_lock_timeout_does_not_bound_the_rest_of_the_call(api_client):
    make_project(backlog=5)

    response = api_client.post(URL, BODY, format="json")

    assert response.status_code == 200
    with connections["default"].cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("0",)


@pytest.mark.django_db(transaction=True)
@override_settings(ORCHESTRATION_LOCK_TIMEOUT_MS=300)
def test_a_dry_run_never_waits_for_the_lock(api_client):
    make_project(backlog=5)
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_project_lock, args=("TEST-001", locked, release))
    holder.start()
    try:
        assert locked.wait(10)
        response = api_client.post(URL, {**BODY, "options": {"dry_run": True}}, format="json")
    finally:
        release.set()
        holder.join()

    assert response.status_code == 200
