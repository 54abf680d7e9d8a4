"""The one DRF exception handler: domain errors and database failures become HTTP."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from orchestration.exceptions import DomainError

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response({"detail": exc.detail, "code": exc.code}, status=exc.status)
    if isinstance(exc, OperationalError):
        logger.warning("database unavailable: %s", exc)
        return Response(
            {
                "detail": "The database is unavailable; retry shortly.",
                "code": "database_unavailable",
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, IntegrityError):
        logger.warning("integrity error surfaced to the API: %s", exc)
        return Response(
            {"detail": "The request conflicts with existing data.", "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
