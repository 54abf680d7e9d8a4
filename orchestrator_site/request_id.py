"""A request id on every response and on every log record written while serving it.

The id comes from the client's (or the ingress's) ``X-Request-ID`` header when it is a
plausible id, otherwise a new one is generated. It is returned in the response's
``X-Request-ID`` header, which gunicorn's access log reads, and kept in a context
variable that :class:`RequestIdFilter` copies onto log records. The variable is cleared
on Django's ``request_finished`` signal rather than when the middleware returns, so the
lines Django logs after the middleware chain (``Not Found: ...``) carry the id too.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
# Client text ends up in logs and headers: accept only short, unambiguous ids.
_ACCEPTED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def choose_request_id(incoming: str | None) -> str:
    """The incoming id when it is acceptable, otherwise a new random one (32 hex digits)."""
    if incoming and _ACCEPTED.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Outermost middleware: every response, error pages included, carries the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = choose_request_id(request.headers.get(HEADER))
        current_request_id.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def forget_request_id(**kwargs: object) -> None:
    """``request_finished`` receiver (connected in apps.py): the request is over."""
    current_request_id.set(None)


class RequestIdFilter(logging.Filter):
    """Sets ``record.request_id``: the id of the request being served, or ``-`` outside one.

    Attach it to handlers (not loggers) so records propagated from child loggers get it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True
