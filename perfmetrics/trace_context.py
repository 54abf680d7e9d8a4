"""The W3C trace context of the request being served, kept for the run it records
(docs/design.md §5, "Traces"). No OpenTelemetry import here: this module is on the request
path whether tracing is on or not, and with tracing off its middleware removes itself.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

from . import conf

# (traceparent, tracestate) of the current request, as received; None outside a request.
_incoming: ContextVar[tuple[str, str] | None] = ContextVar("perfmetrics_trace", default=None)


def incoming() -> tuple[str, str] | None:
    return _incoming.get()


class TraceContextMiddleware:
    """Keeps an incoming ``traceparent`` (and ``tracestate``) for the run's trace to continue."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not conf.get("TRACING"):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        parent = request.headers.get("traceparent")
        token = _incoming.set((parent, request.headers.get("tracestate", "")) if parent else None)
        try:
            return self.get_response(request)
        finally:
            _incoming.reset(token)
