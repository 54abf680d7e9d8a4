"""The API's error contract: every error body is ``{"detail": str, "code": str}``.

``error_body`` builds it, ``ErrorSerializer`` describes it, and the OpenAPI responses
below are the ones views share (docs/design.md §3.6). Field errors of an invalid body or
query are DRF's map of names to messages (``INVALID_INPUT``). The handlers that turn
exceptions into these bodies are in ``handlers.py``.
"""

from __future__ import annotations

from typing import Any, TypedDict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorBody(TypedDict):
    detail: str
    code: str


def error_body(detail: str, code: str) -> ErrorBody:
    """``detail`` is for people, ``code`` a stable machine-readable word."""
    return {"detail": detail, "code": code}


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error answer except field errors."""

    detail = serializers.CharField(help_text="What is wrong, for people.")
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. not_found.")


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


NOT_FOUND = error_response('Unknown id in the path; `code` is "not_found".')
CONFLICT = error_response('Conflicts with existing data; `code` is "conflict".')
UNAUTHORIZED = error_response("Missing or invalid token.")
PAGE_NOT_FOUND = error_response("Unknown page of the list.")
PAYLOAD_TOO_LARGE = error_response(
    'Body larger than API_MAX_BODY_BYTES; `code` is "payload_too_large".'
)
UNSUPPORTED_MEDIA_TYPE = error_response("The body is not application/json.")
# DRF's ValidationError is a map of field (or parameter) names to messages; a malformed
# JSON body is an error body: any object.
INVALID_INPUT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input: one key per field or query parameter, or `detail` and "
    "`code` for malformed JSON.",
)
