"""Errors raised outside DRF's views still answer in the API's JSON error shape."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_an_unknown_url_is_a_json_404(client):
    response = client.get("/no/such/url")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_request_for_an_unknown_host_is_a_json_400(client):
    response = client.get("/health", headers={"host": "evil.example"})

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}


@override_settings(ROOT_URLCONF="orchestrator_site.tests.failing_urls")
def test_an_unhandled_exception_is_a_json_500_without_details(client):
    client.raise_request_exception = False

    response = client.get("/fail")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error.", "code": "server_error"}
