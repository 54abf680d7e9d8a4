"""The schema documents the answers every endpoint shares (orchestrator_site/openapi.py)."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def operations() -> dict[tuple[str, str], dict[str, Any]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_every_operation_needs_a_token_and_documents_401(operations):
    assert len(operations) >= 30
    for key, operation in operations.items():
        assert {} not in operation["security"], key
        assert "401" in operation["responses"], key


def test_every_operation_with_a_body_documents_400_413_and_415(operations):
    with_body = {key: op for key, op in operations.items() if "requestBody" in op}

    assert len(with_body) >= 10
    for key, operation in with_body.items():
        assert {"400", "413", "415"} <= set(operation["responses"]), key


def test_optional_query_parameters_may_be_empty(operations):
    parameters = [
        p for op in operations.values() for p in op.get("parameters", []) if p["in"] == "query"
    ]

    assert len(parameters) > 20
    assert all(p["allowEmptyValue"] for p in parameters if not p.get("required"))


def test_strict_request_bodies_refuse_unknown_properties(operations):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    assert components["ProjectCreateRequest"]["additionalProperties"] is False
    assert components["OrchestrateRequestRequest"]["additionalProperties"] is False
    assert components["PatchedTaskUpdateRequest"]["additionalProperties"] is False
    # Response shapes say nothing about extra keys.
    assert "additionalProperties" not in components["Project"]
