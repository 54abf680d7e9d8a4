"""Writes: recording runs, and running a use case measured inside its transaction."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from functools import partial

from django.db import DatabaseError, connections, transaction

from . import conf, prometheus
from .analysis import judge_run
from .measure import Measurement, bounded_traceback, describe_error
from .models import Component, Run
from .values import RunResult, RunVerdict

logger = logging.getLogger(__name__)


def reserve_run_id(*, using: str = "default") -> int:
    """Take the next run id now, so work inside the run can refer to it before it is stored."""
    with connections[using].cursor() as cursor:
        # The ORM has no way to draw from a sequence without inserting.
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Run._meta.db_table])
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


_RECORD_SQL = f"""
WITH run AS (
    INSERT INTO {Run._meta.db_table} (
        id, name, project_id, source, labels, dry_run, started_at, duration_ms, success,
        breached, error, cpu_user_ms, cpu_system_ms, rss_before_bytes, rss_after_bytes,
        db_queries, db_time_ms, host, pid, overhead_ms, release, traceback
    )
    VALUES (
        %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
        %s, %s
    )
    RETURNING id
)
INSERT INTO {Component._meta.db_table} (
    run_id, name, parent, depth, offset_ms, duration_ms, cpu_ms, success, error
)
SELECT run.id, c.name, c.parent, c.depth, c.offset_ms, c.duration_ms, c.cpu_ms, c.success, c.error
FROM run, unnest(
    %s::text[], %s::text[], %s::smallint[], %s::float8[], %s::float8[], %s::float8[],
    %s::boolean[], %s::text[]
) AS c(name, parent, depth, offset_ms, duration_ms, cpu_ms, success, error)
"""


def record_run(
    result: RunResult,
    *,
    run_id: int | None = None,
    verdict: RunVerdict | None = None,
    using: str = "default",
) -> int:
    """Store a run and all its components in one INSERT statement; return the run's id.

    ``run_id`` is an id from :func:`reserve_run_id` (one is reserved when it is None).
    ``verdict`` is the run's :func:`~perfmetrics.analysis.judge_run` against the
    configured thresholds (judged here when None); its ``breached`` is stored.
    Call inside the caller's transaction so the work and its metrics commit together.
    Prometheus counts the run once that transaction commits, never when it rolls back.
    """
    run_id = run_id if run_id is not None else reserve_run_id(using=using)
    resources = result.resources
    breached = (verdict or judge_run(result, conf.thresholds())).breached
    components = result.components
    with connections[using].cursor() as cursor:
        # One round trip for the run and its components: this runs on every request, and
        # the ORM needs a statement per table.
        cursor.execute(
            _RECORD_SQL,
            [
                run_id, result.name, result.project_id, result.source,
                json.dumps(dict(result.labels)), result.dry_run, result.started_at,
                result.duration_ms, result.success, breached, result.error,
                resources.cpu_user_ms, resources.cpu_system_ms, resources.rss_before_bytes,
                resources.rss_after_bytes, resources.db_queries, resources.db_time_ms,
                result.host, result.pid, result.overhead_ms, result.release, result.traceback,
                [c.name for c in components], [c.parent for c in components],
                [c.depth for c in components], [c.offset_ms for c in components],
                [c.duration_ms for c in components], [c.cpu_ms for c in components],
                [c.success for c in components], [c.error for c in components],
            ],
        )  # fmt: skip
    transaction.on_commit(
        partial(prometheus.observe_run, result, breached=breached), using=using, robust=True
    )
    if conf.get("TRACING"):
        _trace_on_commit(result, run_id=run_id, breached=breached, using=using)
    return run_id


def _trace_on_commit(result: RunResult, *, run_id: int, breached: bool, using: str) -> None:
    """Send the run as a trace once it commits (docs/design.md §5, "Traces")."""
    # Imported only with tracing on: a process without it never loads OpenTelemetry.
    from . import trace_context, tracing

    transaction.on_commit(
        partial(
            tracing.export_run,
            result,
            run_id=run_id,
            breached=breached,
            incoming=trace_context.incoming(),
        ),
        using=using,
        robust=True,
    )


@contextmanager
def measured_transaction(
    name: str,
    *,
    project_id: str = "",
    source: str = "api",
    dry_run: bool = False,
    labels: Mapping[str, str] | None = None,
    unrecorded: tuple[type[BaseException], ...] = (),
    using: str = "default",
) -> Iterator[Measurement]:
    """Run the block in one transaction, measured, and record the run in that transaction.

    When the block raises, its work rolls back and the failed run is recorded in a
    transaction of its own, unless the exception is one of ``unrecorded`` (client
    errors such as an unknown project). The exception always propagates. With
    ``PERFMETRICS["ENABLED"]`` off the block still runs in a transaction, unmeasured.
    """
    run = Measurement(
        name,
        project_id=project_id,
        source=source,
        dry_run=dry_run,
        labels=labels or {},
        using=using,
        release=conf.release(),
        traceback_bytes=int(conf.get("TRACEBACK_BYTES")),
    )
    if not conf.is_enabled():
        with transaction.atomic(using=using):
            yield run
        return
    try:
        with transaction.atomic(using=using):
            run.record_id = reserve_run_id(using=using)
            with run:
                yield run
            assert run.result is not None
            run.verdict = judge_run(run.result, conf.thresholds())
            record_run(run.result, run_id=run.record_id, verdict=run.verdict, using=using)
    except unrecorded:
        run.record_id = None
        raise
    except Exception as exc:
        if run.result is not None:
            # The block may have succeeded and the commit failed: the run did not happen.
            failed = replace(
                run.result,
                success=False,
                error=run.result.error or describe_error(exc),
                traceback=run.result.traceback
                or bounded_traceback(exc, max_bytes=int(conf.get("TRACEBACK_BYTES"))),
            )
            _record_failure(failed, run_id=run.record_id, using=using)
        raise


def _record_failure(result: RunResult, *, run_id: int | None, using: str) -> None:
    try:
        with transaction.atomic(using=using):
            record_run(result, run_id=run_id, using=using)
    except DatabaseError:
        logger.exception("could not record failed run %s of %s", result.name, result.project_id)
