"""Oversized and hostile input gets a clean 4xx, and nothing is written.

Bodies declared over API_MAX_BODY_BYTES are refused unread (413); deeply nested JSON,
over-long strings, NUL characters, lone surrogates, invalid UTF-8 and SQL-looking ids
are 400 or 404 answers, never a 500.
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from conftest import add_closed_sprints, make_project
from orchestration.models import Employee, Project, RetrospectiveActionItem, Sprint, Task
from perfmetrics.models import Run

pytestmark = pytest.mark.django_db

PROJECTS = "/api/projects/"
ORCHESTRATE = "/orchestrate/project/{}"


class CountingStream(io.BytesIO):
    """A request body that records how many bytes the server read from it."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


def post_raw(client: APIClient, url: str, body: bytes, **extra: Any) -> Any:
    """POST these exact bytes (which need not be valid JSON, nor even UTF-8)."""
    return client.generic("POST", url, body, "application/json", **extra)  # type: ignore[arg-type]


def rows() -> dict[str, int]:
    return {
        model.__name__: model.objects.count() for model in (Project, Employee, Task, Sprint, Run)
    }


# --- body size -----------------------------------------------------------------------


@pytest.mark.parametrize("declared", [settings.API_MAX_BODY_BYTES + 1, 10**12])
def test_a_body_declared_over_the_limit_is_refused_unread(api_client, declared):
    body = CountingStream(json.dumps({"project_id": "BIG-1", "name": "Big"}).encode())

    response = post_raw(
        api_client, PROJECTS, b"{}", CONTENT_LENGTH=str(declared), **{"wsgi.input": body}
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request body is larger than the limit of {settings.API_MAX_BODY_BYTES} "
        "bytes.",
        "code": "payload_too_large",
    }
    assert body.bytes_read == 0
    assert not Project.objects.exists()


@override_settings(API_MAX_BODY_BYTES=200)
def test_the_limit_is_the_setting_and_a_body_at_the_limit_is_read(api_client):
    padded = {"project_id": "P-1", "name": ""}
    padded["name"] = "n" * (200 - len(json.dumps(padded)))
    at_limit = json.dumps(padded).encode()

    over = post_raw(api_client, PROJECTS, at_limit + b" ")
    accepted = post_raw(api_client, PROJECTS, at_limit)

    assert len(at_limit) == 200
    assert over.status_code == 413
    assert accepted.status_code == 201, accepted.content
    assert list(Project.objects.values_list("pk", flat=True)) == ["P-1"]


def test_a_bulk_post_of_500_long_tasks_fits_under_the_default_limit(api_client):
    make_project("BULK-1", team=1)
    tasks = [
        {"task_id": f"BULK-1-TASK{i:03d}", "title": "t" * 300, "description": "d" * 1000}
        for i in range(1, 501)
    ]
    body = json.dumps(tasks).encode()

    response = post_raw(api_client, "/api/projects/BULK-1/tasks/", body)

    assert len(body) < settings.API_MAX_BODY_BYTES
    assert response.status_code == 201, response.content[:300]
    assert Task.objects.filter(project_id="BULK-1").count() == 500


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_a_form_body_over_djangos_own_limit_is_a_413_not_a_500(client):
    # The admin login form is read by Django itself (request.POST), not by DRF.
    response = client.post("/admin/login/", {"username": "u" * 200, "password": "p"})

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


# --- malformed JSON ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"project_id": "N-1", "name": ' + b"[" * 100_000,
    ],
    ids=["arrays", "objects", "unterminated"],
)
def test_deeply_nested_json_is_a_400(api_client, body):
    response = post_raw(api_client, PROJECTS, body)
    orchestrate = post_raw(api_client, ORCHESTRATE.format("TEST-001"), body)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - the document is nested too deeply.",
        "code": "parse_error",
    }
    assert orchestrate.status_code == 400
    assert rows() == {"Project": 0, "Employee": 0, "Task": 0, "Sprint": 0, "Run": 0}


def test_nested_json_the_decoder_accepts_is_refused_by_field(api_client):
    deep = "[" * 500 + "]" * 500
    body = f'{{"project_id": "N-1", "name": {deep}, "extra": {deep}}}'.encode()

    response = post_raw(api_client, PROJECTS, body)

    assert response.status_code == 400
    assert set(response.json()) == {"extra"}
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"project_id": "S-1", "name": "\\ud800"}',
        b'{"project_id": "S-1", "name": "ok", "\\udfff": 1}',
        b'[{"task_id": "S-1-T1", "title": "a\\udbffb"}]',
    ],
    ids=["value", "unknown key", "in a list"],
)
def test_a_lone_surrogate_is_a_400(api_client, body):
    make_project("S-1", team=0)

    response = post_raw(api_client, PROJECTS, body)
    tasks = post_raw(api_client, "/api/projects/S-1/tasks/", body)

    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    assert tasks.status_code == 400
    assert list(Project.objects.values_list("pk", flat=True)) == ["S-1"]
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b'{"project_id": "U-1", "name": "\xff\xfe"}', b"\xef\xbb\xbf{}", b"not json", b""],
    ids=["invalid utf-8", "byte order mark", "not json", "empty"],
)
def test_bytes_that_are_not_json_are_a_400(api_client, body):
    response = post_raw(api_client, PROJECTS, body)

    assert response.status_code == 400
    assert not Project.objects.exists()


# --- strings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("project_id", "P" * 10_000), ("name", "n" * 10_000), ("codename", "c" * 101)],
)
def test_a_string_over_its_max_length_is_a_400_naming_the_field(api_client, field, value):
    body = {"project_id": "LONG-1", "name": "Long", field: value}

    response = api_client.post(PROJECTS, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Project.objects.exists()


def test_unicode_text_is_stored_and_answered_exactly(api_client):
    name = "Café 🚀 مشروع עברית e\u0301 \u202eevil\u202c 日本語"

    created = api_client.post(PROJECTS, {"project_id": "UNI-1", "name": name}, format="json")
    answered = api_client.get(f"{PROJECTS}UNI-1/")

    assert created.status_code == 201, created.content
    assert Project.objects.get(pk="UNI-1").name == name
    assert answered.json()["name"] == name


@pytest.mark.parametrize(
    ("url", "method", "body", "field"),
    [
        (PROJECTS, "post", {"project_id": "NUL-1", "name": "a\u0000b"}, "name"),
        (PROJECTS, "post", {"project_id": "NUL\u00001", "name": "n"}, "project_id"),
        ("/api/tasks/TEST-001-TASK001/", "patch", {"title": "\u0000"}, "title"),
        ("/api/employees/", "post", {"employee_id": "E-1", "name": "x\u0000"}, "name"),
        (
            ORCHESTRATE.format("TEST-001"),
            "post",
            {"action": "analyze_and_orchestrate", "options": {"schedule": "0 14 * * 1\u0000"}},
            "options",
        ),
    ],
)
def test_a_nul_character_in_a_body_string_is_a_400_naming_the_field(
    api_client, url, method, body, field
):
    make_project("TEST-001", backlog=3)
    before = rows()

    response = getattr(api_client, method)(url, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert rows() == before
    assert Task.objects.get(pk="TEST-001-TASK001").title == "Task 1"


# --- path and query parameters -------------------------------------------------------

HOSTILE_IDS = [
    "' OR 1=1 --",
    "TEST-001'; DROP TABLE orchestration_project; --",
    "TEST-001\u0000",
    "\u0000",
    "%00",
    "TEST-001%",
    "TEST_001",
    "x" * 10_000,
    "../../etc/passwd",
    "🚀",
]


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_ids_in_the_path_are_404s_and_change_nothing(api_client, hostile):
    project = make_project("TEST-001", backlog=3)
    add_closed_sprints(project, [(4, 4)])
    before = rows()
    segment = quote(hostile, safe="")
    run = {"action": "analyze_and_orchestrate"}
    calls = [
        ("get", f"/api/projects/{segment}/", None),
        ("patch", f"/api/projects/{segment}/", {"name": "x"}),
        ("delete", f"/api/projects/{segment}/", None),
        ("get", f"/api/tasks/{segment}/", None),
        ("patch", f"/api/tasks/{segment}/", {"title": "x"}),
        ("get", f"/api/sprints/{segment}/", None),
        ("delete", f"/api/projects/TEST-001/members/{segment}/", None),
        ("post", f"/api/projects/{segment}/members/", {"employee_id": "TEST-001-E1"}),
        ("post", ORCHESTRATE.format(segment), run),
        ("get", f"/orchestrate/project/{segment}/status", None),
        ("delete", f"/orchestrate/project/TEST-001/cronjob/{segment}", None),
        ("get", f"/orchestrate/intelligence/project/{segment}/insights", None),
        (
            "post",
            f"/orchestrate/intelligence/project/{segment}/decision-mode",
            {"mode": "rule_based_only"},
        ),
        ("get", f"/orchestrate/intelligence/performance/runs/{segment}", None),
        ("post", f"/api/sprints/{segment}/close", {"reason": "x"}),
        ("post", f"/api/sprints/{segment}/extend", {"weeks": 1}),
        ("get", f"/api/projects/{segment}/action-items/", None),
        ("patch", f"/api/action-items/{segment}/", {"status": "done"}),
    ]

    answers = [
        (method, url[:70], getattr(api_client, method)(url, body, format="json").status_code)
        for method, url, body in calls
    ]

    assert {status for _, _, status in answers} == {404}, answers
    assert rows() == before
    assert Project.objects.get(pk="TEST-001").name == "Project TEST-001"


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        ("/api/projects/TEST-001/tasks/", {"status": "' OR 1=1 --"}, 400),
        ("/api/projects/TEST-001/tasks/", {"assigned_to": "' OR 1=1 --"}, 200),
        ("/api/projects/TEST-001/tasks/", {"assigned_to": "\u0000"}, 400),
        ("/api/projects/", {"status": "inactive' --"}, 400),
        ("/api/projects/", {"page": "1 OR 1=1"}, 404),
        ("/api/projects/", {"page_size": "1; DROP TABLE orchestration_project"}, 400),
        ("/api/holidays/", {"date_after": "2026-01-01' OR '1'='1"}, 400),
        ("/orchestrate/intelligence/decision-impact/TEST-001", {"start_date": "' OR 1=1"}, 400),
        ("/orchestrate/intelligence/performance/runs", {"project_id": "' OR 1=1 --"}, 200),
        ("/orchestrate/intelligence/performance/runs", {"name": "\u0000"}, 400),
        ("/orchestrate/intelligence/performance/metrics", {"minutes": "1 OR 1=1"}, 400),
    ],
)
def test_sql_looking_query_parameters_are_refused_or_match_nothing(api_client, url, params, status):
    make_project("TEST-001", backlog=3)
    api_client.post(
        ORCHESTRATE.format("TEST-001"), {"action": "analyze_and_orchestrate"}, format="json"
    )
    before = rows()

    response = api_client.get(url, params)

    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["results"] == []
    assert rows() == before


# --- sprint controls -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/sprints/{}/close", {"reason": "r" * 501}, "reason"),
        ("/api/sprints/{}/close", {"reason": "stop\u0000"}, "reason"),
        ("/api/sprints/{}/close", {"reason": ["x"]}, "reason"),
        ("/api/sprints/{}/extend", {"weeks": 10**30}, "weeks"),
        ("/api/sprints/{}/extend", {"weeks": -1}, "weeks"),
        ("/api/sprints/{}/extend", {"weeks": True}, "weeks"),
        ("/api/sprints/{}/extend", {"weeks": 1, "reason": "\u0000"}, "reason"),
        ("/api/sprints/{}/extend", {"weeks": 1, "end_date": "2099-01-01"}, "end_date"),
    ],
)
def test_hostile_sprint_control_bodies_are_400s_and_change_nothing(api_client, url, body, field):
    make_project("TEST-001", backlog=3)
    api_client.post(
        ORCHESTRATE.format("TEST-001"), {"action": "analyze_and_orchestrate"}, format="json"
    )
    sprint = Sprint.objects.get()
    before = rows()

    response = api_client.post(url.format(sprint.pk), body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert rows() == before
    after = Sprint.objects.get()
    assert (after.status, after.end_date) == (sprint.status, sprint.end_date)


@pytest.mark.parametrize(
    "item_id", ["0", "-1", "1e3", "99999999999999999999999", "\u0663", "1 OR 1=1", "%00"]
)
def test_hostile_action_item_ids_are_404s(api_client, item_id):
    make_project("TEST-001", backlog=3)

    response = api_client.patch(
        f"/api/action-items/{quote(item_id, safe='')}/", {"status": "done"}, format="json"
    )

    assert response.status_code == 404, response.content


@pytest.mark.parametrize(
    "body", [{"status": "done\u0000"}, {"status": "' OR 1=1 --"}, {"status": 1}]
)
def test_hostile_action_item_updates_are_400s(api_client, body):
    project = make_project("TEST-001", backlog=3)
    (sprint,) = add_closed_sprints(project, [(4, 2)])
    item = RetrospectiveActionItem.objects.create(
        retrospective=sprint.retrospective, description="Re-plan 2 tasks."
    )

    response = api_client.patch(f"/api/action-items/{item.pk}/", body, format="json")

    assert response.status_code == 400, response.content
    item.refresh_from_db()
    assert item.status == "open"
