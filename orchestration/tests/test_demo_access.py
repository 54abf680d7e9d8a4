from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conftest import make_project


def run_demo_access(*arguments: str) -> dict[str, str]:
    out = io.StringIO()
    call_command("demo_access", "--force", *arguments, stdout=out)
    text = out.getvalue()
    fields = dict(re.findall(r"^  (Admin|Username|Password|API token) +(\S+)$", text, re.M))
    fields["text"] = text
    return fields


@pytest.mark.django_db
def test_it_creates_a_staff_superuser_with_a_working_password_and_token():
    printed = run_demo_access("--port", "8123")

    user = get_user_model().objects.get(username="admin")
    assert user.is_staff
    assert user.is_superuser
    assert user.is_active
    assert authenticate(username="admin", password=printed["Password"]) == user
    assert Token.objects.get(user=user).key == printed["API token"]
    assert printed["Admin"] == "http://127.0.0.1:8123/admin/"


@pytest.mark.django_db
@pytest.mark.parametrize("verbosity", ["0", "1", "2"])
def test_the_login_token_and_curl_are_its_result_on_stdout_at_any_verbosity(verbosity):
    out, err = io.StringIO(), io.StringIO()

    call_command("demo_access", "--force", "-v", verbosity, stdout=out, stderr=err)

    token = Token.objects.get(user__username="admin").key
    assert err.getvalue() == ""
    assert "  Username   admin\n" in out.getvalue()
    assert f"Authorization: Token {token}" in out.getvalue()


@pytest.mark.django_db
def test_it_prints_a_curl_that_orchestrates_test_001_with_the_token():
    printed = run_demo_access("--port", "8123")

    token = printed["API token"]
    assert (
        "curl -X POST http://127.0.0.1:8123/orchestrate/project/TEST-001 "
        f"-H 'Authorization: Token {token}' -H 'Content-Type: application/json' "
        """-d '{"action": "analyze_and_orchestrate"}'"""
    ) in printed["text"]
    make_project(backlog=2)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(
        "/orchestrate/project/TEST-001", {"action": "analyze_and_orchestrate"}, format="json"
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_each_call_resets_the_password_but_keeps_the_token():
    first = run_demo_access()

    second = run_demo_access()

    assert second["Password"] != first["Password"]
    assert authenticate(username="admin", password=first["Password"]) is None
    assert authenticate(username="admin", password=second["Password"]) is not None
    assert second["API token"] == first["API token"]
    assert Token.objects.count() == 1


@pytest.mark.django_db
def test_it_promotes_an_existing_user():
    get_user_model().objects.create_user("demo", password="old-password-123")

    printed = run_demo_access("--username", "demo")

    user = get_user_model().objects.get(username="demo")
    assert user.is_staff
    assert user.is_superuser
    assert user.check_password(printed["Password"])


@pytest.mark.django_db
def test_it_refuses_to_run_without_debug_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("demo_access", stdout=io.StringIO())

    assert not get_user_model().objects.exists()
