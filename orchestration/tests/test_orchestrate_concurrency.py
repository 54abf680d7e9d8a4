from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connections
from django.test import override_settings
from rest_framework.test import APIClient

from conftest import make_project
from orchestration.models import DailyScrumSchedule, DecisionAudit, Sprint, Task
from perfmetrics.models import Run

THREADS = 20


@pytest.mark.django_db(transaction=True)
# No lock timeout: every call waits its turn, so each sees the state the previous one left
# (the 409 past the timeout: test_orchestrate_lock_timeout.py).
@override_settings(ORCHESTRATION_LOCK_TIMEOUT_MS=0)
def test_twenty_concurrent_calls_open_exactly_one_sprint_and_assign_no_task_twice(api_client):
    make_project(backlog=25)
    credentials = api_client._credentials
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        client = APIClient()
        client.credentials(**credentials)
        barrier.wait()
        try:
            response = client.post(
                "/orchestrate/project/TEST-001",
                {"action": "analyze_and_orchestrate"},
                format="json",
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * THREADS
    assert Sprint.objects.count() == 1
    sprint = Sprint.objects.get()
    assigned = list(Task.objects.filter(sprint=sprint).values_list("task_id", flat=True))
    assert len(assigned) == 10
    assert Counter(assigned).most_common(1)[0][1] == 1
    assert Task.objects.exclude(sprint=None).count() == 10
    assert DailyScrumSchedule.objects.filter(is_active=True).count() == 1
    assert Run.objects.filter(success=True).count() == THREADS
    assert DecisionAudit.objects.filter(sprint_opened=sprint).count() == 1
