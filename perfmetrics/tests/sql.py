"""Reading the reporting views in tests."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection

from perfmetrics.values import DurationStats

STAT_COLUMNS = (
    "success_rate",
    "total_ms",
    "avg_ms",
    "min_ms",
    "max_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
)


def connect_as(user: str | None = None, password: str | None = None) -> psycopg.Connection:
    """A separate session on the test database, as ``user`` (default: the test's own
    user); works with trust and password authentication."""
    settings = connection.settings_dict
    params = {
        "dbname": settings["NAME"],
        "user": user or settings["USER"],
        "password": password if user else settings["PASSWORD"],
    }
    if settings["HOST"]:
        params["host"] = settings["HOST"]
    if settings["PORT"]:
        params["port"] = settings["PORT"]
    return psycopg.connect(**params, autocommit=True)


def fetch(query: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of ``query`` as dicts keyed by column name."""
    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_row_matches(row: dict[str, Any], stats: DurationStats) -> None:
    """A daily statistics row describes the same durations as the API's statistics."""
    assert (row["count"], row["successful"]) == (stats.count, stats.successful)
    for column in STAT_COLUMNS:
        expected = getattr(stats, column)
        assert row[column] == (expected if expected is None else pytest.approx(expected)), column
