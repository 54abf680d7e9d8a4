"""Exceptions become HTTP answers in the error contract of ``errors.py``.

``exception_handler`` is DRF's (``EXCEPTION_HANDLER``): domain errors, database failures
and DRF's own errors. ``bad_request``, ``not_found`` and ``server_error`` are Django's
``handler400``, ``handler404`` and ``handler500``, for what happens outside DRF's views:
a URL that matches no route, a suspicious request Django refuses (a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE``, a disallowed host), and database failures raised in the
admin or middleware, which get the same 503 answer as the API's.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from orchestration.exceptions import DomainError

from .errors import error_body
from .guards import payload_too_large

logger = logging.getLogger(__name__)

# The database cannot be reached, dropped the connection or cancelled a statement
# (DB_STATEMENT_TIMEOUT_MS): retrying later can succeed, so these are 503, not 500.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
DATABASE_UNAVAILABLE = error_body(
    "The database is unavailable; retry shortly.", "database_unavailable"
)
RETRY_AFTER = {"Retry-After": "5"}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return Response(error_body(exc.detail, exc.code), status=exc.status, headers=headers)
    if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        logger.warning("database unavailable: %s", exc)
        return Response(
            DATABASE_UNAVAILABLE,
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers=RETRY_AFTER,
        )
    if isinstance(exc, IntegrityError):
        logger.warning("integrity error surfaced to the API: %s", exc)
        return Response(
            error_body("The request conflicts with existing data.", "conflict"),
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        _add_code(response, exc)
    return response


def _add_code(response: Response, exc: Exception) -> None:
    """DRF's ``{"detail"}`` errors (not found, bad token, malformed JSON ...) get their
    ``code`` too; field errors keep DRF's map of names to messages."""
    data = response.data
    if not (isinstance(data, dict) and set(data) == {"detail"}):
        return
    if isinstance(exc, APIException):
        code = exc.get_codes()
    elif isinstance(exc, Http404):
        code = "not_found"
    else:  # Django's PermissionDenied, the only other exception DRF's handler answers
        code = "permission_denied"
    response.data = error_body(str(data["detail"]), code if isinstance(code, str) else "error")


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 503 JSON when the database is unavailable, else Django's page.

    Django calls it while handling the exception but does not pass it, hence
    ``sys.exc_info()``.
    """
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE_ERRORS):
        return JsonResponse(DATABASE_UNAVAILABLE, status=503, headers=RETRY_AFTER)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return payload_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return JsonResponse(error_body("Bad request.", "bad_request"), status=400)


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse(error_body("Not found.", "not_found"), status=404)
