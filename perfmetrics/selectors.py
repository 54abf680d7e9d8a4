"""Statistics over a window of recorded runs, computed in PostgreSQL.

Every query starts from the window's runs (an index range scan on ``started_at``,
optionally per project, or the newest N runs), so its cost follows the window,
not the size of the history. Percentiles are exact (``percentile_cont``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from .models import Component, Run
from .units import MB
from .values import (
    BucketPercentiles,
    DurationStats,
    MemoryTrend,
    ResourceStats,
    Spread,
    Window,
    WindowStatistics,
)

RUN_TABLE = Run._meta.db_table
COMPONENT_TABLE = Component._meta.db_table


def _window_sql(window: Window, *, now: datetime, previous: bool = False) -> tuple[str, list[Any]]:
    """SELECT of the window's runs (all columns); ``previous`` gives the window before it
    (empty for a window bounded by ``since`` alone: nothing comes before it)."""
    conditions: list[str] = []
    params: list[Any] = []
    if window.project_id is not None:
        conditions.append("project_id = %s")
        params.append(window.project_id)
    if window.name is not None:
        conditions.append("name = %s")
        params.append(window.name)
    if window.source is not None:
        conditions.append("source = %s")
        params.append(window.source)
    if window.release is not None:
        conditions.append("release = %s")
        params.append(window.release)
    for key, values in (window.labels or {}).items():
        conditions.append("labels ->> %s = ANY(%s)")
        params += [key, list(values)]
    if window.since is not None:
        conditions.append("started_at >= %s")
        params.append(window.since)
    if window.last_runs is not None:
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        offset = window.last_runs if previous else 0
        sql = f"SELECT * FROM {RUN_TABLE} {where} ORDER BY started_at DESC LIMIT %s OFFSET %s"
        return sql, [*params, window.last_runs, offset]
    if window.minutes is None:
        where = " AND ".join([*conditions, "false" if previous else "true"])
        return f"SELECT * FROM {RUN_TABLE} WHERE {where}", params
    span = timedelta(minutes=window.minutes)
    start, end = (now - 2 * span, now - span) if previous else (now - span, now)
    conditions += ["started_at >= %s", "started_at < %s"]
    return f"SELECT * FROM {RUN_TABLE} WHERE {' AND '.join(conditions)}", [*params, start, end]


_DURATION_COLUMNS = """
    count(*),
    coalesce(sum({t}.duration_ms), 0),
    count(*) FILTER (WHERE {t}.success),
    avg({t}.duration_ms) FILTER (WHERE {t}.success),
    min({t}.duration_ms) FILTER (WHERE {t}.success),
    max({t}.duration_ms) FILTER (WHERE {t}.success),
    percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY {t}.duration_ms)
        FILTER (WHERE {t}.success),
    avg({t}.duration_ms) FILTER (WHERE NOT {t}.success),
    max({t}.duration_ms) FILTER (WHERE NOT {t}.success)
"""


def _duration_stats(row: tuple[Any, ...]) -> DurationStats:
    count, total, successful, avg, low, high, percentiles, failed_avg, failed_max = row
    p50, p95, p99 = percentiles if percentiles is not None else (None, None, None)
    return DurationStats(
        count=count,
        total_ms=float(total),
        successful=successful,
        success_rate=successful / count if count else None,
        avg_ms=avg,
        min_ms=low,
        max_ms=high,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        failed_avg_ms=failed_avg,
        failed_max_ms=failed_max,
    )


def _spread(avg: float | None, p95: float | None, high: float | None) -> Spread:
    return Spread(avg=avg, p95=p95, max=high)


def run_statistics(window: Window, *, now: datetime) -> tuple[DurationStats, ResourceStats]:
    runs_sql, params = _window_sql(window, now=now)
    resource_columns = ", ".join(
        f"avg({expr}), percentile_cont(0.95) WITHIN GROUP (ORDER BY {expr}), max({expr})"
        for expr in (
            f"(w.rss_after_bytes - w.rss_before_bytes) / {MB}.0",
            f"w.rss_after_bytes / {MB}.0",
            "w.cpu_user_ms + w.cpu_system_ms",
            "w.db_queries",
            "w.db_time_ms",
            "w.overhead_ms",
        )
    )
    # Percentiles need an ordered-set aggregate, which the ORM cannot express.
    durations = _DURATION_COLUMNS.format(t="w")
    sql = f"WITH w AS ({runs_sql}) SELECT {durations}, {resource_columns} FROM w"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assert row is not None
    values = [float(v) if v is not None else None for v in row[9:]]
    spreads = [_spread(*values[i : i + 3]) for i in range(0, len(values), 3)]
    return _duration_stats(row[:9]), ResourceStats(*spreads)


def component_statistics(window: Window, *, now: datetime) -> dict[str, DurationStats]:
    runs_sql, params = _window_sql(window, now=now)
    sql = (
        f"WITH w AS ({runs_sql}) SELECT c.name, {_DURATION_COLUMNS.format(t='c')} "
        f"FROM {COMPONENT_TABLE} c JOIN w ON w.id = c.run_id GROUP BY c.name ORDER BY c.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: _duration_stats(row[1:]) for row in cursor.fetchall()}


def memory_trends(window: Window, *, now: datetime, min_runs: int) -> tuple[MemoryTrend, ...]:
    """Per worker process: how much RSS grew across the window and how steadily."""
    runs_sql, params = _window_sql(window, now=now)
    # regr_slope/corr over (time, rss) per process: growth that only ever goes up.
    sql = (
        f"WITH w AS ({runs_sql}) SELECT host, pid, count(*), "
        "(max(rss_after_bytes) FILTER (WHERE rn_desc = 1) "
        f" - max(rss_before_bytes) FILTER (WHERE rn_asc = 1)) / {MB}.0, "
        "corr(extract(epoch FROM started_at), rss_after_bytes) "
        "FROM (SELECT w.*, "
        " row_number() OVER (PARTITION BY host, pid ORDER BY started_at) AS rn_asc, "
        " row_number() OVER (PARTITION BY host, pid ORDER BY started_at DESC) AS rn_desc "
        " FROM w) AS ordered "
        "GROUP BY host, pid HAVING count(*) >= %s ORDER BY host, pid"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, min_runs])
        return tuple(
            MemoryTrend(host=h, pid=p, runs=n, growth_mb=float(g or 0.0), correlation=c)
            for h, p, n, g, c in cursor.fetchall()
        )


def recent_summary(
    *, project_id: str, name: str, last_runs: int, components: tuple[str, ...]
) -> tuple[DurationStats, dict[str, DurationStats]]:
    """The newest ``last_runs`` runs of a project: run statistics and those of ``components``.

    One statement: the run level and the chosen components, over the same runs.
    """
    runs_sql, params = _window_sql(
        Window(minutes=None, last_runs=last_runs, project_id=project_id, name=name),
        now=timezone.now(),
    )
    sql = (
        f"WITH w AS ({runs_sql}) "
        f"SELECT NULL, {_DURATION_COLUMNS.format(t='w')} FROM w "
        "UNION ALL "
        f"SELECT c.name, {_DURATION_COLUMNS.format(t='c')} FROM {COMPONENT_TABLE} c "
        "JOIN w ON w.id = c.run_id WHERE c.name = ANY(%s) GROUP BY c.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, list(components)])
        rows = cursor.fetchall()
    run_row = next(row for row in rows if row[0] is None)
    by_name = {row[0]: _duration_stats(row[1:]) for row in rows if row[0] is not None}
    return _duration_stats(run_row[1:]), by_name


def window_statistics(
    window: Window, *, now: datetime | None = None, min_runs_for_trends: int = 10
) -> WindowStatistics:
    """The window's statistics, in three queries (the metrics report adds the samples of
    its regression test)."""
    now = now or timezone.now()
    total, resources = run_statistics(window, now=now)
    by_minutes = window.last_runs is None and window.minutes is not None
    return WindowStatistics(
        window=window,
        since=now - timedelta(minutes=window.minutes or 0) if by_minutes else None,
        until=now,
        total=total,
        components=component_statistics(window, now=now),
        resources=resources,
        memory_trends=memory_trends(window, now=now, min_runs=min_runs_for_trends),
    )


def component_percentiles_over_time(
    *, since: datetime, until: datetime, bucket: timedelta, project_id: str | None = None
) -> list[BucketPercentiles]:
    """p50 and p95 per component and per time bucket of runs started in [since, until).

    Buckets start at ``since`` and every ``bucket`` after it (``date_bin``); a run
    falls into the bucket of its start. Each run is a series of its own under its
    run name (e.g. ``total_orchestration``), next to its components. Successful
    durations only (a successful run, a successful component), as in the window
    statistics. Empty buckets are absent. Rows come ordered by name, then start.
    A name used by both a run and a component gives two series.
    One statement whose cost follows the window: a range scan of ``run_recent``
    (or ``run_project_recent``) and the components' run_id index.
    """
    project_sql = "AND project_id = %s" if project_id is not None else ""
    # Ordered-set percentiles per bucket: the ORM has neither percentile_cont nor date_bin.
    sql = f"""
        WITH w AS (
            SELECT id, name, started_at, duration_ms, success FROM {RUN_TABLE}
            WHERE started_at >= %s AND started_at < %s {project_sql}
        ), durations AS (
            SELECT name, true AS is_run, started_at, duration_ms FROM w WHERE success
            UNION ALL
            SELECT c.name, false, w.started_at, c.duration_ms
            FROM {COMPONENT_TABLE} c JOIN w ON w.id = c.run_id WHERE c.success
        )
        SELECT name, is_run, date_bin(%s, started_at, %s) AS bucket, count(*),
            percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms),
            percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)
        FROM durations GROUP BY name, is_run, bucket ORDER BY name, is_run, bucket
    """
    params: list[Any] = [since, until]
    if project_id is not None:
        params.append(project_id)
    params += [bucket, since]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            BucketPercentiles(name=n, is_run=r, start=s, count=c, p50_ms=p50, p95_ms=p95)
            for n, r, s, c, p50, p95 in cursor.fetchall()
        ]


def has_more_runs_than(
    limit: int, *, since: datetime, until: datetime, project_id: str | None = None
) -> bool:
    """Whether more than ``limit`` runs started in [since, until); reads at most limit + 1
    entries of run_recent (or run_project_recent), however many runs the window holds."""
    runs = Run.objects.filter(started_at__gte=since, started_at__lt=until)
    if project_id is not None:
        runs = runs.filter(project_id=project_id)
    return runs.order_by().values("pk")[: limit + 1].count() > limit


# --- samples for the regression test (perfmetrics.regressions) ------------------------------


def _run_filter(*, name: str | None, project_id: str | None) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    if name is not None:
        conditions.append("name = %s")
        params.append(name)
    if project_id is not None:
        conditions.append("project_id = %s")
        params.append(project_id)
    return conditions, params


def latest_releases(*, name: str | None, project_id: str | None) -> tuple[str, str] | None:
    """The newest run's release and the release before it: that of the newest run started
    before the newest release's first run. None until two releases have runs.

    Two statements of index probes (``run_recent``, then ``run_release_recent``), whatever
    the history holds: the second names the release as a value, so the planner can see
    how few runs it has and start from that release's first run.
    """
    conditions, params = _run_filter(name=name, project_id=project_id)
    where = " AND ".join(["true", *conditions])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT release FROM {RUN_TABLE} WHERE {where} ORDER BY started_at DESC LIMIT 1",
            params,
        )
        latest = cursor.fetchone()
        if latest is None:
            return None
        # A scalar subquery per step keeps each an index probe; the ORM would need two more
        # round trips.
        cursor.execute(
            f"""
            SELECT release FROM {RUN_TABLE}
            WHERE {where} AND release <> %s AND started_at < (
                SELECT started_at FROM {RUN_TABLE} WHERE {where} AND release = %s
                ORDER BY release, started_at LIMIT 1
            )
            ORDER BY started_at DESC LIMIT 1
            """,
            [*params, latest[0], *params, latest[0]],
        )
        previous = cursor.fetchone()
    if previous is None:
        return None
    return str(latest[0]), str(previous[0])


def window_samples(
    window: Window, *, now: datetime, limit: int, previous: bool = False
) -> dict[str | None, list[float]]:
    """Successful durations of the newest ``limit`` successful runs of the window (or of the
    window before it): the run itself under the key None, each component under its name
    (every successful execution). The exact stored values, in one statement."""
    runs_sql, params = _window_sql(window, now=now, previous=previous)
    sql = f"""
        WITH w AS (
            SELECT id, duration_ms FROM ({runs_sql}) AS runs WHERE success
            ORDER BY started_at DESC LIMIT %s
        )
        SELECT NULL, array_agg(duration_ms) FROM w
        UNION ALL
        SELECT c.name, array_agg(c.duration_ms) FROM {COMPONENT_TABLE} c
        JOIN w ON w.id = c.run_id WHERE c.success GROUP BY c.name
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return {key: list(values or []) for key, values in cursor.fetchall()}
