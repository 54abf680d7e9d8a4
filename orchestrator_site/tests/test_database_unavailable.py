"""Database errors that mean "unavailable" answer 503 JSON, in DRF views and elsewhere."""

from __future__ import annotations

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from orchestrator_site.handlers import exception_handler, server_error

UNAVAILABLE = {
    "detail": "The database is unavailable; retry shortly.",
    "code": "database_unavailable",
}


@pytest.mark.parametrize("error", [OperationalError("refused"), InterfaceError("closed")])
def test_the_api_handler_answers_503_for_a_lost_database(error):
    response = exception_handler(error, {})

    assert response is not None
    assert (response.status_code, response.data) == (503, UNAVAILABLE)
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize("error", [OperationalError("refused"), InterfaceError("closed")])
def test_handler500_answers_503_json_for_a_lost_database(error):
    request = RequestFactory().get("/admin/")
    try:
        raise error
    except type(error):
        response = server_error(request)

    assert (response.status_code, json.loads(response.content)) == (503, UNAVAILABLE)
    assert response["Retry-After"] == "5"


def test_handler500_keeps_django_s_page_for_other_errors():
    request = RequestFactory().get("/admin/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)

    assert response.status_code == 500
    assert b"Server Error (500)" in response.content
