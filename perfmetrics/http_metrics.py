"""Per-endpoint HTTP metrics for Prometheus: request durations and counts by route template,
method and status (docs/prometheus.md, "HTTP requests").

Our own middleware rather than django-prometheus: two series families on the registry
``/metrics`` already serves (so ``PROMETHEUS_MULTIPROC_DIR`` adds every gunicorn worker up
with no second setup), labelled by the URL pattern (``orchestrate/project/<str:project_id>``,
never the project id itself), and nothing else: django-prometheus would also wrap the
database, cache and model layers, and label by view name.

Switched on by ``PERFMETRICS["HTTP_METRICS"]``; when off the middleware removes itself
(``MiddlewareNotUsed``) and costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

from . import conf
from .prometheus import HTTP_DURATION, HTTP_REQUESTS

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Requests no URL pattern matched (404s of random paths): one series, not one per path.
UNMATCHED = "<unmatched>"


def route_of(request: HttpRequest) -> str:
    """The matched URL pattern, the way it is written in the URLconf."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED
    return str(match.route)


class HttpMetricsMiddleware:
    """Put it near the top of ``MIDDLEWARE``: the duration covers the middlewares after it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not conf.get("HTTP_METRICS"):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - start
        method = request.method if request.method in KNOWN_METHODS else "other"
        labels = (route_of(request), method, str(response.status_code))
        HTTP_DURATION.labels(*labels).observe(elapsed)
        HTTP_REQUESTS.labels(*labels).inc()
        return response
