from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from perfmetrics.measure import bounded_traceback
from perfmetrics.models import Run
from perfmetrics.services import measured_transaction
from perfmetrics.tests.conftest import make_run

pytestmark = pytest.mark.django_db
RUNS = "/orchestrate/intelligence/performance/runs"


def recurse(depth: int) -> None:
    if depth == 0:
        raise ValueError("deep failure")
    bounce(depth - 1)


def bounce(depth: int) -> None:
    # Alternating frames: Python collapses runs of identical ones in a traceback.
    recurse(depth)


def failed_run(depth: int = 3) -> Run:
    with (
        pytest.raises(ValueError, match="deep failure"),
        measured_transaction("place_order") as run,
    ):
        recurse(depth)
    assert run.record_id is not None
    return Run.objects.get(pk=run.record_id)


def test_a_failed_run_keeps_its_traceback_with_the_raising_frame():
    run = failed_run()

    assert run.success is False
    assert run.traceback.startswith("  File ")
    assert "in recurse" in run.traceback
    assert run.traceback.endswith("ValueError: deep failure\n")


def test_a_successful_run_keeps_no_traceback():
    with measured_transaction("place_order") as run:
        pass

    assert run.record_id is not None
    assert Run.objects.get(pk=run.record_id).traceback == ""


def test_a_deep_traceback_keeps_its_last_frames_within_the_byte_budget():
    run = failed_run(depth=400)

    assert len(run.traceback.encode()) <= 8192
    assert run.traceback.endswith("ValueError: deep failure\n")
    assert "in failed_run" not in run.traceback  # the oldest frames went first
    assert run.traceback.count("in recurse") > 10


def test_the_budget_follows_the_setting(settings):
    settings.PERFMETRICS = {**settings.PERFMETRICS, "TRACEBACK_BYTES": 600}

    run = failed_run(depth=50)

    assert 0 < len(run.traceback.encode()) <= 600


def test_a_huge_message_is_cut_to_the_budget():
    try:
        raise RuntimeError("x" * 20_000)
    except RuntimeError as exc:
        text = bounded_traceback(exc, max_bytes=8192)

    assert len(text.encode()) <= 8192


def staff_client(*, is_staff: bool) -> APIClient:
    user = get_user_model().objects.create_user("someone", is_staff=is_staff)
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_staff_see_the_traceback_in_the_run_detail():
    run = make_run(100, success=False, traceback="  File x\nValueError: boom\n")

    body = staff_client(is_staff=True).get(f"{RUNS}/{run.pk}").json()

    assert body["traceback"] == "  File x\nValueError: boom\n"


def test_other_users_never_see_the_traceback():
    run = make_run(100, success=False, traceback="  File x\nValueError: boom\n")
    client = staff_client(is_staff=False)

    detail = client.get(f"{RUNS}/{run.pk}").json()

    assert "traceback" not in detail
    assert detail["error"] == "RuntimeError: failed"


def test_the_runs_list_never_carries_tracebacks_even_for_staff():
    make_run(100, success=False, traceback="  File x\nValueError: boom\n")

    body = staff_client(is_staff=True).get(RUNS).json()

    assert body["results"]
    assert all("traceback" not in row for row in body["results"])


def test_the_admin_run_page_shows_the_traceback(admin_client):
    run = make_run(100, success=False, traceback="  File <x>\nValueError: boom\n")

    page = admin_client.get(f"/admin/perfmetrics/run/{run.pk}/change/")

    assert page.status_code == 200
    assert '<pre class="run-traceback">  File &lt;x&gt;\nValueError: boom\n</pre>' in (
        page.content.decode()
    )
