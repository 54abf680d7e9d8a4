"""``manage.py rotate_token USERNAME``: replace a user's API token and print the new key.

stdout holds the key alone at every ``--verbosity``, so scripts can capture it; ``-v 2``
also says what changed, on stderr.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token


def rotate_token(*, username: str) -> Token:
    """Delete the user's token (if any) and create a new one, in one transaction.

    The old key stops authenticating when the transaction commits. Raises
    ``CommandError`` for an unknown or inactive user.
    """
    user_model = get_user_model()
    with transaction.atomic():
        try:
            user = user_model.objects.select_for_update().get(
                **{user_model.USERNAME_FIELD: username}
            )
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; activate it first.")
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


class Command(BaseCommand):
    help = "Replace USERNAME's API token; prints only the new key, so scripts can capture it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        token = rotate_token(username=options["username"])
        self.stdout.write(token.key)
        if options["verbosity"] >= 2:
            # Unstyled: Django styles stderr as an error on a terminal.
            self.stderr.write(
                f"Replaced the API token of {options['username']!r}; the old key no longer "
                "authenticates.",
                style_func=lambda line: line,
            )
