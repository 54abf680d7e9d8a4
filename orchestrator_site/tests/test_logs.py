from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from orchestrator_site.logs import JsonFormatter, logging_config


def record(
    name: str = "app",
    msg: str = "hello %s",
    args: tuple[object, ...] = ("world",),
    exc_info: Any = None,
    **attributes: object,
) -> logging.LogRecord:
    made = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, exc_info)
    made.__dict__.update(attributes)
    return made


def test_a_record_becomes_one_json_object_with_its_extra_fields():
    line = JsonFormatter().format(record(request_id="r-9", project_id="TEST-001"))

    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "hello world"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "app"
    assert entry["request_id"] == "r-9"
    assert entry["project_id"] == "TEST-001"
    assert entry["time"].endswith("+00:00")


def test_an_exception_is_kept_as_text():
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()

    entry = json.loads(JsonFormatter().format(record(exc_info=exc_info)))

    assert "ValueError: boom" in entry["exception"]


def test_gunicorns_access_line_gets_fields_of_its_own():
    atoms = {
        "h": "10.0.0.7",
        "m": "POST",
        "U": "/orchestrate/project/TEST-001",
        "q": "",
        "s": "200",
        "B": 512,
        "a": "curl/8",
        "D": 12345,
        "{x-request-id}o": "r-7",
        "{x-forwarded-for}i": "203.0.113.9",
    }
    access = record(name="gunicorn.access", msg="%(m)s %(U)s", args=(atoms,))

    entry = json.loads(JsonFormatter().format(access))

    assert entry["message"] == "POST /orchestrate/project/TEST-001"
    assert entry["request_id"] == "r-7"
    assert entry["duration_ms"] == 12.345
    assert entry["forwarded_for"] == "203.0.113.9"
    assert (entry["method"], entry["path"], entry["status"]) == (
        "POST",
        "/orchestrate/project/TEST-001",
        "200",
    )


def test_the_log_format_must_be_json_or_text():
    assert logging_config(log_format="text", level="INFO")["handlers"]["console"]["formatter"] == (
        "text"
    )
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")
