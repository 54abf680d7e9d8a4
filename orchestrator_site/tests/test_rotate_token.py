from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conftest import make_project

URL = "/orchestrate/project/TEST-001"
BODY = {"action": "analyze_and_orchestrate", "options": {"dry_run": True}}


def rotate(username: str) -> str:
    out = StringIO()
    call_command("rotate_token", username, stdout=out)
    return out.getvalue().strip()


def post_with(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.post(URL, BODY, format="json").status_code


@pytest.mark.django_db
def test_it_replaces_the_token_and_only_the_new_key_works():
    user = get_user_model().objects.create_user("ops", password="unused-password-1")
    old = Token.objects.create(user=user).key
    make_project(backlog=3)

    new = rotate("ops")

    assert new != old
    assert list(Token.objects.values_list("user__username", "key")) == [("ops", new)]
    assert post_with(old) == 401
    assert post_with(new) == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("verbosity", "detail"),
    [
        ("0", ""),
        ("1", ""),
        ("2", "Replaced the API token of 'ops'; the old key no longer authenticates.\n"),
    ],
)
def test_stdout_holds_only_the_key_and_detail_goes_to_stderr(verbosity, detail):
    get_user_model().objects.create_user("ops", password="unused-password-1")
    out, err = StringIO(), StringIO()

    call_command("rotate_token", "ops", "-v", verbosity, stdout=out, stderr=err)

    assert out.getvalue() == Token.objects.get(user__username="ops").key + "\n"
    assert err.getvalue() == detail


@pytest.mark.django_db
def test_it_gives_a_user_without_a_token_its_first_one():
    get_user_model().objects.create_user("ci", password="unused-password-1")

    key = rotate("ci")

    assert Token.objects.get(user__username="ci").key == key
    assert len(key) == 40


@pytest.mark.django_db
def test_it_refuses_unknown_and_inactive_users_and_changes_nothing():
    user = get_user_model().objects.create_user("gone", password="x-unused-1", is_active=False)
    Token.objects.create(user=user, key="k" * 40)

    with pytest.raises(CommandError, match="No user named 'nobody'"):
        rotate("nobody")
    with pytest.raises(CommandError, match="inactive"):
        rotate("gone")
    assert list(Token.objects.values_list("key", flat=True)) == ["k" * 40]
