from __future__ import annotations

import io
import json
import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from orchestrator_site.logs import JsonFormatter
from orchestrator_site.request_id import (
    RequestIdFilter,
    RequestIdMiddleware,
    choose_request_id,
    current_request_id,
)


@pytest.fixture
def json_lines():
    """A stream of JSON log lines fed by the 'django' logger (what Django logs into)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_it_keeps_a_plausible_incoming_id_and_replaces_anything_else():
    assert choose_request_id("req-42.a:b_c") == "req-42.a:b_c"
    for bad in [None, "", "x" * 129, "has space", "-leading-dash", 'quote"', "new\nline"]:
        generated = choose_request_id(bad)
        assert len(generated) == 32
        assert int(generated, 16) >= 0


@pytest.mark.django_db
def test_every_response_carries_the_request_id(client):
    echoed = client.get("/health", headers={"X-Request-ID": "abc-123"})
    generated = client.get("/health")
    not_found = client.get("/no-such-page")

    assert echoed["X-Request-ID"] == "abc-123"
    assert len(generated["X-Request-ID"]) == 32
    assert not_found.status_code == 404
    assert len(not_found["X-Request-ID"]) == 32
    assert current_request_id.get() is None


@pytest.mark.django_db
def test_djangos_own_log_lines_carry_the_request_id(client, json_lines):
    client.get("/no-such-page", headers={"X-Request-ID": "trace-404"})

    lines = [line for line in json_lines() if line["logger"] == "django.request"]
    assert [(line["message"], line["request_id"]) for line in lines] == [
        ("Not Found: /no-such-page", "trace-404")
    ]


def test_log_records_written_while_serving_carry_the_id_and_others_do_not(json_lines):
    logger = logging.getLogger("django.test.request_id")

    def view(request):
        logger.warning("inside the view")
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="r-1"))
    current_request_id.set(None)  # what request_finished does after the response
    logger.warning("between requests")

    lines = json_lines()
    assert response["X-Request-ID"] == "r-1"
    assert lines[0]["message"] == "inside the view"
    assert lines[0]["request_id"] == "r-1"
    assert lines[1]["message"] == "between requests"
    assert "request_id" not in lines[1]
