"""Logging configuration shared by Django (``settings.LOGGING``) and gunicorn.

Production writes one JSON object per line to standard output (what a cluster's log
collector expects); development writes plain text. Both carry the request id of
:mod:`orchestrator_site.request_id`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured

LOG_FORMATS = ("json", "text")

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

# gunicorn's access-log atoms (see gunicorn.glogging.Logger.atoms) worth a field of their own.
_ACCESS_ATOMS = {
    "remote_addr": "h",
    "method": "m",
    "path": "U",
    "query": "q",
    "status": "s",
    "bytes": "B",
    "user_agent": "a",
    # Behind the ingress, "h" is the ingress controller; this is who it forwarded for.
    "forwarded_for": "{x-forwarded-for}i",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request id, pid,
    exception text, ``extra`` fields, and for gunicorn's access log the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", "-")
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            entry.update(_access_fields(record.args))
            request_id = str(record.args.get("{x-request-id}o", "-"))
        if request_id != "-":
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key != "request_id" and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def _access_fields(atoms: Mapping[str, Any]) -> dict[str, Any]:
    fields = {name: atoms.get(atom, "-") for name, atom in _ACCESS_ATOMS.items()}
    # gunicorn's "D" atom is the request time in microseconds.
    fields["duration_ms"] = round(int(atoms.get("D", 0)) / 1000, 3)
    return fields


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary writing ``log_format`` lines to stdout."""
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT must be one of {LOG_FORMATS}, got {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "orchestrator_site.request_id.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "orchestrator_site.logs.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s [%(name)s] [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # gunicorn's loggers hand their records to the root handler, so the server's
            # and the application's lines share one format and one stream.
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": True},
            # procrastinate announces every task and periodic task it registers, in every
            # process at start-up, and every job deferred; its workers' job lines stay.
            "procrastinate.blueprints": {"level": "WARNING"},
            "procrastinate.periodic": {"level": "WARNING"},
            "procrastinate.jobs": {"level": "WARNING"},
        },
    }
