"""Reads of the history features for a worker's similarity cache (docs/design.md §4).

A reader remembers the PostgreSQL snapshot it last read under (``Seen``). A row changed
since then carries the id of a transaction that snapshot did not see: one at or after
its ``xmax``, or one still in progress then. Both are index scans on ``changed_xid`` /
``removed_xid``, so a refresh costs one statement however large the history is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from psycopg import sql

from ..engine.similarity import FeatureColumns, FeatureRow
from ..models import HistoryFeaturesRemoval, ProjectHistoryFeatures

FEATURES = ProjectHistoryFeatures._meta.db_table
REMOVALS = HistoryFeaturesRemoval._meta.db_table
COLUMNS = (
    "project_id, team_size, mean_tasks_per_sprint, mean_completion_rate, "
    "mean_duration_weeks, mean_velocity, optimal_task_count"
)
# PostgreSQL's binary COPY format: an 11-byte signature, flags and a header extension
# length (4 bytes each), then the rows, then -1 as the field count.
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_TRAILER = b"\xff\xff"
# The snapshot of this statement and the id of this transaction, if it has one.
NOW = (
    "WITH now AS (SELECT pg_current_snapshot() AS snapshot, "
    "pg_current_xact_id_if_assigned()::text::bigint AS own) "
)


@dataclass(frozen=True)
class Seen:
    """What a reader has seen: every transaction before ``xmax`` except ``in_progress``."""

    xmax: int
    in_progress: tuple[int, ...]


@dataclass(frozen=True)
class HistoryChanges:
    """Committed changes since a ``Seen`` (or one chunk of a full load), and separately
    those of the reading transaction itself, which may still roll back."""

    seen: Seen
    upserts: tuple[FeatureRow, ...]
    removals: tuple[str, ...]
    cleared: bool
    own_upserts: tuple[FeatureRow, ...]
    own_removals: tuple[str, ...]
    own_cleared: bool


def history_changes(since: Seen) -> HistoryChanges:
    """Rows written and removed since ``since``, in one statement."""
    changed = "{column} >= %(xmax)s OR {column} = ANY(%(in_progress)s) OR {column} = now.own"
    statement = (
        NOW + "SELECT now.snapshot::text, now.own, c.* FROM now LEFT JOIN LATERAL ("
        f"SELECT {COLUMNS}, false AS removed, changed_xid AS xid FROM {FEATURES} "
        f"WHERE {changed.format(column='changed_xid')} "
        "UNION ALL "
        "SELECT project_id, NULL, NULL, NULL, NULL, NULL, NULL, true, removed_xid "
        f"FROM {REMOVALS} WHERE {changed.format(column='removed_xid')}"
        ") c ON true"
    )
    parameters: dict[str, Any] = {"xmax": since.xmax, "in_progress": list(since.in_progress)}
    with connection.cursor() as cursor:
        # Raw SQL: the ORM cannot read the statement's snapshot nor join it laterally.
        cursor.execute(statement, parameters)
        return _changes(cursor.fetchall())


@dataclass(frozen=True)
class FleetSize:
    """What a full load will read at most: rows, and the longest id in bytes."""

    rows: int
    id_width: int


def history_load_start() -> tuple[HistoryChanges, FleetSize]:
    """The first statement of a full load: the snapshot, this transaction's own rows (its
    committed rows come from ``history_columns``) and the size of the others."""
    statement = (
        NOW + ", size AS (SELECT count(*) AS rows, "
        "coalesce(max(octet_length(project_id)), 1) AS width "
        f"FROM {FEATURES}, now WHERE changed_xid IS DISTINCT FROM now.own) "
        "SELECT now.snapshot::text, now.own, c.*, size.rows, size.width "
        "FROM now CROSS JOIN size LEFT JOIN LATERAL ("
        f"SELECT {COLUMNS}, false AS removed, changed_xid AS xid FROM {FEATURES} "
        "WHERE changed_xid = now.own"
        ") c ON true"
    )
    with connection.cursor() as cursor:
        # Raw SQL: the ORM cannot read the statement's snapshot nor join it laterally.
        cursor.execute(statement)
        rows = cursor.fetchall()
    return _changes(rows), FleetSize(rows=int(rows[0][11]), id_width=int(rows[0][12]))


def history_columns(seen: Seen, size: FleetSize, *, chunk: int) -> Iterator[FeatureColumns]:
    """Every row committed as ``seen`` saw it, ``chunk`` rows at a time, in byte order of
    the ids (``COLLATE "C"``: the matrix's own order, so it needs no sort afterwards).

    One binary COPY whose rows all have the same layout (the id padded with NUL bytes
    to ``size.id_width``), parsed by numpy straight from the stream: no Python object
    per row. Rows changed since ``seen`` (this transaction's among them) are left out:
    the next refresh reads them, as it would have if they had changed a moment later.
    So is a longer id, which can only be such a row.
    """
    width = size.id_width
    record = np.dtype(
        [("fields", ">i2"), ("id_length", ">i4"), ("id", f"S{width}")]
        + [(f"length{i}", ">i4") if i % 2 == 0 else (f"value{i // 2}", ">f8") for i in range(10)]
        + [("optimal_length", ">i4"), ("optimal", ">i4")]
    )
    statement = sql.SQL(
        "COPY (SELECT substring(convert_to(project_id, 'UTF8') || {padding} FROM 1 FOR {width}), "
        "team_size::float8, mean_tasks_per_sprint, mean_completion_rate, mean_duration_weeks, "
        "mean_velocity, optimal_task_count FROM {table} WHERE octet_length(project_id) <= {width} "
        "AND NOT (changed_xid >= {xmax} OR changed_xid = ANY({in_progress})) "
        'ORDER BY project_id COLLATE "C"'
        ") TO STDOUT (FORMAT BINARY)"
    ).format(
        padding=sql.Literal(bytes(width)),
        width=sql.Literal(width),
        table=sql.Identifier(FEATURES),
        xmax=sql.Literal(seen.xmax),
        in_progress=sql.Literal(list(seen.in_progress)),
    )
    stream = bytearray()
    with connection.cursor() as cursor:
        # COPY: the one way to read a million rows without a Python object for each.
        text = statement.as_string(cursor.cursor.connection)
        with cursor.copy(text) as copy:
            for data in copy:
                stream += data
                if len(stream) >= chunk * record.itemsize:
                    yield _columns(stream, record, done=False)
    yield _columns(stream, record, done=True)


def _columns(stream: bytearray, record: np.dtype[Any], *, done: bool) -> FeatureColumns:
    """Take the complete rows off the front of a binary COPY ``stream``: after its
    header; with ``done``, the rest must be its trailer."""
    if stream.startswith(COPY_SIGNATURE):
        extension = int.from_bytes(stream[15:19], "big")
        del stream[: 19 + extension]
    if done:
        if not stream.endswith(COPY_TRAILER):
            raise ValueError("The COPY of history features ended early.")
        del stream[-len(COPY_TRAILER) :]
    taken = len(stream) // record.itemsize * record.itemsize
    if done and taken != len(stream):
        raise ValueError("The COPY of history features has rows of an unexpected layout.")
    rows = np.frombuffer(stream[:taken], dtype=record)
    del stream[:taken]
    if not (
        (rows["fields"] == 7).all()
        and (rows["id_length"] == record["id"].itemsize).all()
        and all((rows[f"length{i}"] == 8).all() for i in range(0, 10, 2))
        and (rows["optimal_length"] == 4).all()
    ):
        raise ValueError("The COPY of history features has rows of an unexpected layout.")
    return FeatureColumns(
        ids=rows["id"],
        features=tuple(rows[f"value{i}"] for i in range(5)),
        optimal=rows["optimal"],
    )


def _changes(rows: list[tuple[Any, ...]]) -> HistoryChanges:
    snapshot, own = rows[0][0], rows[0][1]
    _xmin, xmax, listed = snapshot.split(":")
    in_progress = {int(x) for x in listed.split(",") if x}
    if own is not None:
        # This transaction's own writes count as unseen until it commits.
        in_progress.add(int(own))
    committed: list[tuple[Any, ...]] = []
    mine: list[tuple[Any, ...]] = []
    for row in rows:
        if row[2] is not None:
            (mine if own is not None and row[10] == own else committed).append(row[2:])
    return HistoryChanges(
        seen=Seen(xmax=int(xmax), in_progress=tuple(sorted(in_progress))),
        upserts=tuple(_row(r) for r in committed if not r[7]),
        removals=tuple(r[0] for r in committed if r[7] and r[0]),
        cleared=any(r[7] and not r[0] for r in committed),
        own_upserts=tuple(_row(r) for r in mine if not r[7]),
        own_removals=tuple(r[0] for r in mine if r[7] and r[0]),
        own_cleared=any(r[7] and not r[0] for r in mine),
    )


def _row(values: tuple[Any, ...]) -> FeatureRow:
    project_id, team, tasks, rate, weeks, velocity, optimal = values[:7]
    return (project_id, team, tasks, rate, weeks, velocity, optimal)
