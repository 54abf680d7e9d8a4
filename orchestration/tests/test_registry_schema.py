"""The OpenAPI schema documents the registry's shapes and its 400/404/409 answers."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("openapi") / "schema.yaml"
    # --fail-on-warn: a registry endpoint whose shapes cannot be resolved fails here.
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--urlconf",
        "orchestration.tests.registry_urls",
        "--file",
        str(target),
    )
    loaded: dict[str, Any] = yaml.safe_load(target.read_text())
    return loaded


# Besides these, every operation documents 401 (no or a wrong token), each one with a
# body 413 and 415 (orchestrator_site/openapi.py), each paginated list 400 and 404.
BODY = {"400", "401", "413", "415"}
LIST = {"400", "401", "404"}


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/projects/", "get", {"200"} | LIST),
        ("/api/projects/", "post", {"201", "409"} | BODY),
        ("/api/projects/{project_id}/", "patch", {"200", "404"} | BODY),
        ("/api/projects/{project_id}/", "delete", {"204", "401", "404", "409"}),
        ("/api/employees/", "post", {"201", "409"} | BODY),
        ("/api/projects/{project_id}/members/", "post", {"201", "404", "409"} | BODY),
        ("/api/projects/{project_id}/members/{employee_id}/", "delete", {"204", "401", "404"}),
        ("/api/projects/{project_id}/tasks/", "get", {"200"} | LIST),
        ("/api/projects/{project_id}/tasks/", "post", {"201", "404", "409"} | BODY),
        ("/api/tasks/{task_id}/", "patch", {"200", "404", "409"} | BODY),
        ("/api/projects/{project_id}/sprints/", "get", {"200"} | LIST),
        ("/api/sprints/{sprint_id}/", "get", {"200", "401", "404"}),
        ("/api/holidays/", "post", {"201", "409"} | BODY),
        ("/api/pto/", "post", {"201", "409"} | BODY),
    ],
)
def test_the_schema_documents_each_registry_answer(schema, path, method, codes):
    assert set(schema["paths"][path][method]["responses"]) == codes


def test_the_schema_describes_request_and_response_shapes(schema):
    components = schema["components"]["schemas"]
    tasks = schema["paths"]["/api/projects/{project_id}/tasks/"]

    assert tasks["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedTaskList"
    }
    assert {p["name"] for p in tasks["get"]["parameters"]} >= {
        "status",
        "assigned_to",
        "sprint",
        "page",
        "page_size",
    }
    # One task or a list of them.
    body = components["TaskCreateBodyRequest"]["oneOf"]
    assert body[0] == {"$ref": "#/components/schemas/TaskCreateRequest"}
    assert body[1]["type"] == "array"
    assert set(components["PatchedTaskUpdateRequest"]["properties"]) == {
        "title",
        "description",
        "assigned_to",
        "progress_percentage",
    }
    assert components["TaskCreateRequest"]["properties"]["progress_percentage"]["maximum"] == 100
    assert components["TaskStatusEnum"]["enum"] == [
        "unassigned",
        "assigned_to_sprint",
        "in_progress",
        "completed",
    ]
