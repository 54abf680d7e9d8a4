"""Demo access: a staff login for the admin and an API token, for `make run`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token


@dataclass(frozen=True)
class DemoAccess:
    username: str
    password: str
    token: str


def grant_demo_access(*, username: str = "admin") -> DemoAccess:
    """Make ``username`` an active staff superuser with a new random password.

    The password changes on every call (it is only ever shown once, when created);
    the API token is kept when the user already has one, so clients keep working.
    """
    password = secrets.token_urlsafe(15)
    with transaction.atomic():
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_active = True
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        token, _ = Token.objects.get_or_create(user=user)
    return DemoAccess(username=username, password=password, token=token.key)
