"""Django's error views (urls.py ``handler400`` and ``handler404``) in the API's JSON
error shape.

DRF renders errors raised inside its views; these cover what happens outside them: a
URL that matches no route, and a suspicious request Django refuses (a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE``, a disallowed host). ``handler500`` is in exceptions.py.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from .guards import payload_too_large


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return payload_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
