"""Errors raised outside DRF's views still answer in the API's JSON error shape."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_url_is_a_json_404(client):
    response = client.get("/no/such/url")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_request_for_an_unknown_host_is_a_json_400(client):
    response = client.get("/health", headers={"host": "evil.example"})

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}


def test_drf_errors_carry_a_code_too(api_client):
    missing_run = api_client.get("/orchestrate/intelligence/performance/runs/999999")
    malformed = api_client.post("/orchestrate/project/X", data="{", content_type="application/json")
    wrong_method = api_client.put("/orchestrate/intelligence/performance/runs")

    assert missing_run.status_code == 404
    assert missing_run.json() == {"detail": "No Run matches the given query.", "code": "not_found"}
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "parse_error"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"


def test_field_errors_keep_one_key_per_field(api_client):
    response = api_client.get("/orchestrate/intelligence/performance/runs?page_size=0")

    assert response.status_code == 400
    assert set(response.json()) == {"page_size"}
