"""The one DRF exception handler: domain errors and database failures become HTTP.

``server_error`` is Django's ``handler500``: database failures raised outside DRF views
(the admin, middleware) get the same 503 answer as the API's.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from orchestration.exceptions import DomainError

logger = logging.getLogger(__name__)

# The database cannot be reached, dropped the connection or cancelled a statement
# (DB_STATEMENT_TIMEOUT_MS): retrying later can succeed, so these are 503, not 500.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
DATABASE_UNAVAILABLE = {
    "detail": "The database is unavailable; retry shortly.",
    "code": "database_unavailable",
}
RETRY_AFTER = {"Retry-After": "5"}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response({"detail": exc.detail, "code": exc.code}, status=exc.status)
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
            {"detail": "The request conflicts with existing data.", "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 503 JSON when the database is unavailable, else Django's page.

    Django calls it while handling the exception but does not pass it, hence
    ``sys.exc_info()``.
    """
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE_ERRORS):
        return JsonResponse(DATABASE_UNAVAILABLE, status=503, headers=RETRY_AFTER)
    return defaults.server_error(request)
