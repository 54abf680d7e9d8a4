"""Token authentication that refuses a malformed key before it reaches the database."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import authentication, exceptions

# DRF creates every key as 20 random bytes in lower-case hexadecimal.
_KEY = re.compile(r"[0-9a-f]{40}")


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``Authorization: Token <key>``; a key that no token can have is a 401 at once.

    Without the check such a key is looked up like any other, and one holding a NUL
    character makes PostgreSQL fail the query (a 500). gunicorn refuses NUL in headers,
    but the service should not depend on the server in front of it.
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        if not _KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
