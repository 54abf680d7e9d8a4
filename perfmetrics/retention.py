"""Retention (docs/design.md §5): roll old runs up into daily statistics and delete them in batches.

Percentiles cannot be added up, so a UTC day is rolled up whole, once, and only when
the whole day is older than the requested age: the cutoff is the start of the day
that contains ``now - age``. Runs before it are deleted in batches of their own
short transactions (ids in order, components first), so the service keeps writing
new runs meanwhile. Running again is harmless: rolled-up days are skipped and only
what is left is deleted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from .models import Component, DailyRollup, Run

DEFAULT_BATCH_SIZE = 5000
MAX_AGE_DAYS = 36_500
# Session advisory lock held while pruning, so two prunes never interleave (an arbitrary
# key of this app's own).
PRUNE_LOCK_KEY = 7_346_192_851
_AGE = re.compile(r"(\d+)([dh])")

RUN_TABLE = Run._meta.db_table
COMPONENT_TABLE = Component._meta.db_table
ROLLUP_TABLE = DailyRollup._meta.db_table

# One statement per day over the same samples the reporting views read: per project and
# (grouping set) all projects together. Percentiles need an ordered-set aggregate.
_ROLL_UP_DAY = f"""
INSERT INTO {ROLLUP_TABLE} (
    day, run_name, project_id, component, count, successful, total_ms, successful_ms,
    avg_ms, min_ms, max_ms, p50_ms, p95_ms, p99_ms
)
SELECT day, run_name, project_id, component, count, successful, total_ms, successful_ms,
       avg_ms, min_ms, max_ms, pct[1], pct[2], pct[3]
FROM (
    SELECT s.day, s.run_name, s.project_id, s.component,
           count(*) AS count,
           count(*) FILTER (WHERE s.success) AS successful,
           sum(s.duration_ms) AS total_ms,
           coalesce(sum(s.duration_ms) FILTER (WHERE s.success), 0) AS successful_ms,
           avg(s.duration_ms) FILTER (WHERE s.success) AS avg_ms,
           min(s.duration_ms) FILTER (WHERE s.success) AS min_ms,
           max(s.duration_ms) FILTER (WHERE s.success) AS max_ms,
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY s.duration_ms)
               FILTER (WHERE s.success) AS pct
    FROM perfmetrics_duration_samples s
    WHERE s.started_at >= %s AND s.started_at < %s
      AND NOT EXISTS (SELECT 1 FROM {ROLLUP_TABLE} d WHERE d.day = %s)
    GROUP BY GROUPING SETS (
        (s.day, s.run_name, s.project_id, s.component),
        (s.day, s.run_name, s.component)
    )
) grouped
ON CONFLICT DO NOTHING
"""


class PruneInProgressError(Exception):
    """Another prune holds the retention lock."""


@dataclass(frozen=True)
class PrunePlan:
    """What a prune at ``cutoff`` has to do: days to roll up, runs and components to delete."""

    cutoff: datetime
    days: tuple[date, ...]
    runs: int
    components: int


@dataclass(frozen=True)
class Batch:
    last_id: int
    runs: int
    components: int


@dataclass(frozen=True)
class Deleted:
    """Totals of the batches deleted so far."""

    batches: int = 0
    runs: int = 0
    components: int = 0

    def plus(self, batch: Batch) -> Deleted:
        return Deleted(self.batches + 1, self.runs + batch.runs, self.components + batch.components)


@dataclass(frozen=True)
class Progress:
    """Reported after each rolled-up day (``day`` set, its ``rollup_rows``) and each batch."""

    plan: PrunePlan
    day: date | None
    rollup_rows: int
    deleted: Deleted


@dataclass(frozen=True)
class PruneResult:
    plan: PrunePlan
    dry_run: bool
    rollup_rows: int
    deleted: Deleted


def parse_age(text: str) -> timedelta:
    """``30d`` or ``12h`` (a positive whole number of days or hours) as a timedelta."""
    match = _AGE.fullmatch(text.strip())
    if match is None or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not an age like 30d or 12h")
    amount, unit = int(match[1]), match[2]
    age = timedelta(days=amount) if unit == "d" else timedelta(hours=amount)
    if age > timedelta(days=MAX_AGE_DAYS):
        raise ValueError(f"{text!r} is longer than {MAX_AGE_DAYS} days")
    return age


def prune_cutoff(*, older_than: timedelta, now: datetime) -> datetime:
    """Start of the UTC day that contains ``now - older_than``.

    Runs started before it lie in complete days that are entirely older than the age;
    the younger part of the cutoff's own day waits for a later prune.
    """
    moment = (now - older_than).astimezone(UTC)
    return datetime.combine(moment.date(), time.min, tzinfo=UTC)


def plan_prune(*, cutoff: datetime) -> PrunePlan:
    """Days before ``cutoff`` that have runs and no roll-up yet; runs and components to delete."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT (started_at AT TIME ZONE 'UTC')::date FROM {RUN_TABLE} "
            f"WHERE started_at < %s EXCEPT SELECT day FROM {ROLLUP_TABLE} ORDER BY 1",
            [cutoff],
        )
        days = tuple(row[0] for row in cursor.fetchall())
    runs = Run.objects.filter(started_at__lt=cutoff)
    return PrunePlan(
        cutoff=cutoff,
        days=days,
        runs=runs.count(),
        components=Component.objects.filter(run__in=runs).count(),
    )


def roll_up_day(day: date) -> int:
    """Write the day's statistics unless the day is rolled up already; return rows written.

    Call only for a day that no longer receives runs (before the prune cutoff).
    """
    start = datetime.combine(day, time.min, tzinfo=UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_ROLL_UP_DAY, [start, start + timedelta(days=1), day])
        written: int = cursor.rowcount
        return written


def delete_batch(*, cutoff: datetime, after_id: int, batch_size: int) -> Batch | None:
    """Delete the next ``batch_size`` runs before ``cutoff`` (by id, after ``after_id``)
    and their components, in one short transaction; None when nothing is left."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Raw statements: the ORM's delete would load every run of the batch first.
        cursor.execute(
            f"SELECT id FROM {RUN_TABLE} WHERE started_at < %s AND id > %s ORDER BY id LIMIT %s",
            [cutoff, after_id, batch_size],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return None
        cursor.execute(f"DELETE FROM {COMPONENT_TABLE} WHERE run_id = ANY(%s)", [ids])
        components = cursor.rowcount
        cursor.execute(f"DELETE FROM {RUN_TABLE} WHERE id = ANY(%s)", [ids])
        return Batch(last_id=ids[-1], runs=cursor.rowcount, components=components)


@contextmanager
def _retention_lock() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [PRUNE_LOCK_KEY])
        row = cursor.fetchone()
    if row is None or not row[0]:
        raise PruneInProgressError("Another prune_perfmetrics is running; try again later.")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [PRUNE_LOCK_KEY])


def prune_runs(
    *,
    older_than: timedelta,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> PruneResult:
    """Roll up, then delete, every run started before the cutoff of ``older_than``.

    With ``dry_run`` only the plan is computed and nothing is written. Run it outside
    a transaction so that each day and each batch commits on its own; inside one, they
    become savepoints and everything commits (and locks) together.
    """
    cutoff = prune_cutoff(older_than=older_than, now=now or timezone.now())
    plan = plan_prune(cutoff=cutoff)
    if dry_run:
        return PruneResult(plan=plan, dry_run=True, rollup_rows=0, deleted=Deleted())
    report = progress or (lambda _: None)
    with _retention_lock():
        rows = _roll_up_days(plan, report)
        deleted = _delete_runs(plan, batch_size, report)
    return PruneResult(plan=plan, dry_run=False, rollup_rows=rows, deleted=deleted)


def _roll_up_days(plan: PrunePlan, report: Callable[[Progress], None]) -> int:
    rows = 0
    for day in plan.days:
        written = roll_up_day(day)
        rows += written
        report(Progress(plan=plan, day=day, rollup_rows=written, deleted=Deleted()))
    return rows


def _delete_runs(plan: PrunePlan, batch_size: int, report: Callable[[Progress], None]) -> Deleted:
    deleted, last_id = Deleted(), 0
    while batch := delete_batch(cutoff=plan.cutoff, after_id=last_id, batch_size=batch_size):
        deleted, last_id = deleted.plus(batch), batch.last_id
        report(Progress(plan=plan, day=None, rollup_rows=0, deleted=deleted))
    return deleted
