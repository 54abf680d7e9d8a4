"""Schemathesis against the service's own OpenAPI schema: every operation, with a token,
in process through the WSGI application, on the test database.

Each operation is one test; each generated request runs in a savepoint that is rolled
back, so every request meets the same seeded history (path parameters name its rows
half of the time) and none depends on what an earlier example wrote. Generation is
deterministic (derandomized), so CI replays the same requests.

Checks: schemathesis's defaults (no 5xx, documented status codes, bodies and headers
matching the schema, schema-invalid input refused, 405 for undeclared methods) except
``positive_data_acceptance``: a schema-valid body may still name an employee that does
not exist or a malformed cron expression, and that 400 is documented; and
``ignored_auth``, which would repeat most requests without the token: test_api_auth.py
checks every URL and method without a token and with a wrong one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from conftest import add_closed_sprints, make_project
from orchestration.engine.values import OrchestrationOptions
from orchestration.models import RetrospectiveActionItem, SprintRetrospective
from orchestration.services.orchestrate import orchestrate_project
from orchestrator_site.wsgi import application

# `make test` runs 15 generated examples per operation (the fuzzing phase: valid and
# invalid requests); `make fuzz` 200, after the coverage phase's systematic boundary and
# invalid values of every parameter (about 45 more per operation). FUZZ_EXAMPLES and
# FUZZ_PHASES choose.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(",")


def generated_schema() -> dict[str, Any]:
    """What GET /api/schema/?format=json serves (test_it_fuzzes_the_schema_the_service_serves)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded: dict[str, Any] = json.loads(OpenApiJsonRenderer().render(document))
    return loaded


SCHEMA = generated_schema()
schema = schemathesis.openapi.from_dict(SCHEMA)
schema.app = application
schema.config.update(base_url="http://localhost")
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)
schema.config.phases.update(phases=PHASES)

# Ids of the seeded rows, by path parameter name; filled by the `seeded` fixture.
KNOWN: dict[str, str] = {}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """The generated ids, or the same request aimed at rows that exist."""
    if not path_parameters:
        return st.just(path_parameters)
    known = {name: KNOWN[name] for name in path_parameters if name in KNOWN}
    return st.sampled_from([path_parameters, {**path_parameters, **known}])


@pytest.fixture
def seeded(db: None) -> Iterator[str]:
    """A history to aim at; yields the Authorization header of a valid token."""
    # Like Django's test client: the WSGI handler must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        token = Token.objects.create(user=get_user_model().objects.create_user("fuzzer"))
        project = make_project("TEST-001", backlog=12)
        (_, pending) = add_closed_sprints(project, [(8, 8), (10, 7)])
        RetrospectiveActionItem.objects.create(
            retrospective=SprintRetrospective.objects.get(sprint=pending),
            description="Address 3 tasks that are still in progress.",
        )
        add_closed_sprints(make_project("TEST-002", backlog=0), [(9, 9), (10, 8)])
        outcome = orchestrate_project(
            project_id="TEST-001", options=OrchestrationOptions(enable_pattern_recognition=False)
        )
        KNOWN.update(
            project_id="TEST-001",
            employee_id="TEST-001-E1",
            task_id="TEST-001-TASK001",
            sprint_id=outcome.execution.sprint_id or "",
            name=outcome.execution.cronjob_name or "",
            id=str(outcome.run_id),
            item_id=str(
                RetrospectiveActionItem.objects.order_by("id").values_list("id", flat=True).first()
            ),
        )
        yield f"Token {token.key}"
    finally:
        KNOWN.clear()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # The seeded history is per operation by design, and slow generation is no failure.
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: Any, seeded: str) -> None:
    with transaction.atomic():
        case.call_and_validate(
            headers={"Authorization": seeded},
            excluded_checks=[positive_data_acceptance, ignored_auth],
        )
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_it_fuzzes_the_schema_the_service_serves():
    client = APIClient()
    token = Token.objects.create(user=get_user_model().objects.create_user("reader"))

    anonymous = client.get("/api/schema/", {"format": "json"})
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    served = client.get("/api/schema/", {"format": "json"})

    assert anonymous.status_code == 401
    assert served.status_code == 200
    assert json.loads(served.content) == SCHEMA


def test_the_fuzzed_schema_covers_every_scrum_control_endpoint():
    operations = {
        operation["operationId"]
        for path in SCHEMA["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }

    assert {
        "close_sprint",
        "extend_sprint",
        "list_action_items",
        "update_action_item",
    } <= operations
