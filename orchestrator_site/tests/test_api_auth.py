"""Every URL the service routes refuses callers without a valid token (or, for the admin,
without a staff login), found by walking the URL patterns rather than from a list, so a
new endpoint cannot slip through.

Open by design: the probes (``/health``, ``/health/ready``) and ``/metrics``, which the
cluster calls without credentials. The schema and its docs need a token like the API
they describe. Staff-only admin pages are tested with non-staff users in the apps'
test_admin.py; here each admin URL refuses an anonymous caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize
from rest_framework.test import APIClient

OPEN = {"/health", "/health/ready", "/metrics"}
# The login form itself, and logout, which only ends a session.
ADMIN_OPEN = {"/admin/login/", "/admin/logout/"}
# Forty hex digits, the shape of a real key, that no user holds.
WRONG_TOKEN = "Token " + "0" * 40
EVERY_METHOD = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class Endpoint:
    url: str
    methods: tuple[str, ...]


def sample_url(regexes: list[str]) -> str:
    """A URL the nested patterns match, each path parameter filled with ``1``."""
    parts = []
    for regex in regexes:
        template, params = normalize(regex)[0]
        parts.append(template % dict.fromkeys(params, "1"))
    return "/" + "".join(parts)


def allowed_methods(callback: Any) -> tuple[str, ...]:
    """The methods a class-based view implements (HEAD with GET); every method for a
    function view, which may answer any."""
    view_class = getattr(callback, "view_class", None)
    if view_class is None:
        return tuple(EVERY_METHOD)
    methods = [m.upper() for m in view_class.http_method_names if hasattr(view_class, m)]
    if "GET" in methods:
        methods.append("HEAD")
    return tuple(sorted(set(methods)))


def endpoints() -> Iterator[Endpoint]:
    """Every URL pattern of the current ROOT_URLCONF, nested includes resolved."""

    def walk(patterns: list[Any], prefix: list[str]) -> Iterator[Endpoint]:
        for pattern in patterns:
            regexes = [*prefix, pattern.pattern.regex.pattern]
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, regexes)
            elif isinstance(pattern, URLPattern):
                yield Endpoint(sample_url(regexes), allowed_methods(pattern.callback))

    return walk(get_resolver().url_patterns, [])


def api_endpoints() -> list[Endpoint]:
    return [e for e in endpoints() if not e.url.startswith("/admin/") and e.url not in OPEN]


def auth_failures() -> set[tuple[str, str, str, int]]:
    """(method, url, credentials, status) of each API URL and method that answers a
    request without a token, or with a wrong one, with something other than 401."""
    failures = set()
    for endpoint in api_endpoints():
        for method in endpoint.methods:
            credentials: list[tuple[str, dict[str, Any]]] = [
                ("none", {}),
                ("wrong", {"HTTP_AUTHORIZATION": WRONG_TOKEN}),
            ]
            for label, extra in credentials:
                client = APIClient()
                response = client.generic(method, endpoint.url, "{}", "application/json", **extra)
                if response.status_code != 401:
                    failures.add((method, endpoint.url, label, response.status_code))
    return failures


def test_it_finds_every_api_endpoint():
    urls = {e.url for e in api_endpoints()}

    assert len(urls) >= 25
    assert {
        "/api/schema/",
        "/api/docs/",
        "/api/projects/1/",
        "/orchestrate/project/1",
        "/orchestrate/project/1/cronjob/1",
        "/orchestrate/intelligence/performance/runs/1",
        "/orchestrate/intelligence/decision-impact/1",
    } <= urls
    assert {e.url for e in endpoints()} >= OPEN


@pytest.mark.django_db
def test_every_api_endpoint_refuses_a_missing_or_wrong_token_for_every_method():
    assert auth_failures() == set()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="orchestrator_site.tests.unprotected_urls")
def test_a_new_endpoint_without_authentication_would_fail_the_check():
    # The real URLs plus an AllowAny view and a plain function view (unprotected_urls.py).
    # DRF still refuses a wrong token on the AllowAny view; the function view takes all.
    expected = {(m, "/api/leaky/", "none", 200) for m in ("GET", "HEAD", "OPTIONS")} | {
        (m, "/api/leaky-function", label, 200) for m in EVERY_METHOD for label in ("none", "wrong")
    }

    assert auth_failures() == expected


@pytest.mark.django_db
def test_the_open_endpoints_answer_without_a_token():
    client = APIClient()

    assert {url: client.get(url).status_code for url in OPEN} == dict.fromkeys(OPEN, 200)


@pytest.mark.django_db
def test_every_admin_page_sends_an_anonymous_caller_to_the_login_page(client):
    admin = [e for e in endpoints() if e.url.startswith("/admin/") and e.url not in ADMIN_OPEN]

    assert len(admin) > 50
    for endpoint in admin:
        response = client.get(endpoint.url)
        assert response.status_code == 302, endpoint.url
        assert re.match(r"/admin/login/\?next=", response["Location"]), endpoint.url


@pytest.mark.django_db
def test_the_schema_and_its_docs_open_with_a_staff_session(admin_client):
    # A browser logged in to the admin reads /api/docs/, whose page fetches the schema.
    assert admin_client.get("/api/docs/").status_code == 200
    assert admin_client.get("/api/schema/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key", ["\u0000", "abc\u0000def", "G" * 40, "A" * 40, "a" * 39, "a" * 41, "a" * 10_000]
)
def test_a_key_no_token_can_have_is_refused_without_a_query(django_assert_num_queries, key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    with django_assert_num_queries(0):
        response = client.get("/api/projects/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}
