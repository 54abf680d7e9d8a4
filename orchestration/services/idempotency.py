"""``Idempotency-Key`` on ``POST /orchestrate/project/{id}`` (docs/design.md §3.1).

As payment APIs do it: the first request with a key acts and its answer is stored with
the key, in the same transaction as what it did; a repeat with the same key and the
same request within ``KEY_LIFETIME`` gets the stored answer and acts no more; the same
key with another request is refused (422). A repeat that arrives while the first is
still running waits for it on the key's unique index, then gets its answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from ..exceptions import IdempotencyKeyReusedError, InvalidInputError
from ..models import IdempotentRequest

KEY_LIFETIME = timedelta(hours=24)
# 1 to 255 visible ASCII characters: a UUID, or any opaque token a client makes up.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: Any
    location: str


def parse_key(value: str | None) -> str | None:
    """The header's key, None without one; InvalidInputError (400) when malformed."""
    if value is None:
        return None
    if not KEY_PATTERN.fullmatch(value):
        raise InvalidInputError(
            "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, for example)."
        )
    return value


def fingerprint(*, path: str, body: Any, respond_async: bool) -> str:
    """What makes two requests the same: the path, the JSON body (key order aside) and
    the mode."""
    canonical = json.dumps([path, body, respond_async], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim_key(*, user_id: int, key: str, fingerprint: str) -> StoredAnswer | None:
    """Claim ``key`` for this request, or return the answer stored for it.

    Call inside ``transaction.atomic`` and, when this returns None, act and then call
    ``store_answer`` in the same transaction: a rollback releases the key unanswered.
    Raises IdempotencyKeyReusedError when the key came with another request.
    """
    IdempotentRequest.objects.filter(
        user_id=user_id, key=key, created_at__lt=timezone.now() - KEY_LIFETIME
    ).delete()
    with connection.cursor() as cursor:
        # ON CONFLICT waits for a concurrent claim of the same key to commit or roll back.
        cursor.execute(
            "INSERT INTO orchestration_idempotentrequest "
            "(user_id, key, fingerprint, status_code, body, location, created_at) "
            "VALUES (%s, %s, %s, 0, 'null', '', now()) "
            "ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            [user_id, key, fingerprint],
        )
        if cursor.fetchone() is not None:
            return None
    stored = IdempotentRequest.objects.get(user_id=user_id, key=key)
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReusedError(
            "This Idempotency-Key was used with another request in the last 24 hours; "
            "use a new key for a new request."
        )
    return StoredAnswer(stored.status_code, stored.body, stored.location)


def store_answer(*, user_id: int, key: str, answer: StoredAnswer) -> None:
    """Store the answer of the request that claimed ``key`` (same transaction)."""
    IdempotentRequest.objects.filter(user_id=user_id, key=key).update(
        status_code=answer.status_code, body=answer.body, location=answer.location
    )
