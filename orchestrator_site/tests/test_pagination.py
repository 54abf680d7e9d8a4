"""``page_size`` is validated, not silently replaced; an empty value means absent."""

from __future__ import annotations

import pytest

from conftest import make_project

pytestmark = pytest.mark.django_db

LISTS = ["/api/projects/", "/orchestrate/intelligence/performance/runs"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("size", ["0", "501", "abc", "1.5", "-1", "1e3", "null"])
def test_a_page_size_outside_1_to_500_is_a_400_naming_it(api_client, url, size):
    response = api_client.get(url, {"page_size": size})

    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


@pytest.mark.parametrize("url", LISTS)
def test_an_empty_page_size_means_the_default(api_client, url):
    make_project("P-1")

    response = api_client.get(url, {"page_size": ""})

    assert response.status_code == 200


def test_a_page_past_the_end_is_a_404(api_client):
    make_project("P-1")

    assert api_client.get("/api/projects/", {"page": "2"}).status_code == 404
    assert api_client.get("/api/projects/", {"page": "1", "page_size": "500"}).status_code == 200
