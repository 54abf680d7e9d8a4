"""Reads of the history features for a worker's similarity cache (docs/design.md §4).

A reader remembers the PostgreSQL snapshot it last read under (``Seen``). A row changed
since then carries the id of a transaction that snapshot did not see: one at or after
its ``xmax``, or one still in progress then. Both are index scans on ``changed_xid`` /
``removed_xid``, so a refresh costs one statement however large the history is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from ..engine.similarity import FeatureRow
from ..models import HistoryFeaturesRemoval, ProjectHistoryFeatures

FEATURES = ProjectHistoryFeatures._meta.db_table
REMOVALS = HistoryFeaturesRemoval._meta.db_table
COLUMNS = (
    "project_id, team_size, mean_tasks_per_sprint, mean_completion_rate, "
    "mean_duration_weeks, mean_velocity, optimal_task_count"
)
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


def history_chunk(*, after: str, size: int) -> tuple[HistoryChanges, str | None]:
    """Up to ``size`` rows with ids after ``after`` in the database's id order (one step
    of a full load), and the last id read: None when there is nothing more to read."""
    statement = (
        NOW + "SELECT now.snapshot::text, now.own, c.* FROM now LEFT JOIN LATERAL ("
        f"SELECT {COLUMNS}, false AS removed, changed_xid AS xid FROM {FEATURES} "
        "WHERE project_id > %(after)s ORDER BY project_id LIMIT %(size)s"
        ") c ON true"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, {"after": after, "size": size})
        rows = cursor.fetchall()
    last = rows[-1][2] if len(rows) == size else None
    return _changes(rows), last


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
