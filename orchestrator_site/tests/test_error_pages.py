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
