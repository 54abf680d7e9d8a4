"""Requests refused before anything reads their body or routes them.

* A body whose declared ``Content-Length`` exceeds ``settings.API_MAX_BODY_BYTES`` is
  answered 413 from the headers alone: the body is never read, so a client cannot make a
  worker buffer or parse megabytes it will refuse anyway. A body without a length
  (chunked transfer encoding) reaches Django as an empty body: WSGI has no way to read it.
* A path with a NUL character is answered 404: no URL of this service contains one, and
  PostgreSQL refuses NUL in text, so such an id must never reach a query.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from .errors import error_body


def declared_length(request: HttpRequest) -> int:
    """The body length the client declared; 0 when absent or malformed, as Django reads it."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def payload_too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        error_body(
            f"The request body is larger than the limit of {limit} bytes.", "payload_too_large"
        ),
        status=413,
    )


class RequestGuardMiddleware:
    """Place it before any middleware that may read the body (CSRF, sessions)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit: int = settings.API_MAX_BODY_BYTES
        if declared_length(request) > limit:
            return payload_too_large(limit)
        if "\x00" in request.path_info:
            return JsonResponse(error_body("Not found.", "not_found"), status=404)
        return self.get_response(request)
