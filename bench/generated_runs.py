"""Databases full of generated orchestration runs, for the metrics and size benchmarks.

Each database holds ``total`` runs named ``total_orchestration``, each with the nine
components an orchestration with pattern recognition records, generated in SQL
(``INSERT ... SELECT ... FROM generate_series``) in the order the service would have
written them (ids and start times increasing):

* the newest ``window_runs`` runs lie in the 45 minutes before the last minute (5 projects);
* the ``window_runs`` before them in the hour before that (the "previous window" the
  regression check compares with), from 106 to 61 minutes ago;
* all others spread over the 90 days before that, ending 3 hours ago (50 projects).

About 2% of the runs failed and 1% breached a threshold (the slowest). The history ran
release 1.4.0, the two windows 1.5.0 (the regression endpoint compares the two).

Every value is a pseudo-random function of the run's position inside its block, so the
two windows hold exactly the same runs in every database, whatever ``total`` is: the
metrics endpoint must answer the same numbers, only the history differs.

Generated "now" moves on: before each measurement :func:`shift_windows` moves the two
window blocks so that the newest run started a minute ago (an UPDATE of those rows
only). The window contents then stay fixed for the next 14 minutes.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import psycopg

from bench.common import ROOT

HISTORY_PROJECTS = 50
WINDOW_PROJECTS = 5
BATCH_RUNS = 100_000
NEWEST_RUN_AGE = timedelta(minutes=1)

# A pseudo-random number in [0, 1) from a key and a salt: the same run position
# gets the same values in every database.
UNIFORM = """
CREATE FUNCTION pg_temp.u(key bigint, salt integer) RETURNS double precision
LANGUAGE sql IMMUTABLE AS
$$ SELECT (hashint8extended(key, salt) & 2147483647)::double precision / 2147483648 $$
"""

# Block of each run id: 2 = last hour, 1 = the hour before, 0 = history; its key is
# the position inside the block, offset per block so that the blocks differ.
RUNS = """
INSERT INTO perfmetrics_run (
    id, name, project_id, source, labels, dry_run, started_at, duration_ms, success,
    breached, error, cpu_user_ms, cpu_system_ms, rss_before_bytes, rss_after_bytes,
    db_queries, db_time_ms, host, pid, overhead_ms, release
)
SELECT
    id, 'total_orchestration', project_id,
    CASE WHEN pg_temp.u(key, 1) < 0.05 THEN 'perftest' ELSE 'api' END,
    '{}'::jsonb, pg_temp.u(key, 2) < 0.1, started_at, duration_ms, success,
    duration_ms >= 850,
    CASE WHEN success THEN ''
         ELSE 'OperationalError: could not serialize access due to concurrent update' END,
    duration_ms * (0.4 + 0.3 * pg_temp.u(key, 3)), duration_ms * 0.04,
    rss, rss + CASE WHEN pg_temp.u(key, 4) < 0.9 THEN 0 ELSE 4096 * mod(key, 64) END,
    18 + mod(key, 13), duration_ms * (0.2 + 0.3 * pg_temp.u(key, 5)),
    'project-orchestrator-6d5f8b7c9d-' || (ARRAY['x2k4q', 'm7rtz', 'b9wnc'])[1 + mod(key, 3)],
    7 + mod(key, 4), 0.12 + 0.2 * pg_temp.u(key, 6),
    CASE WHEN block = 0 THEN '1.4.0' ELSE '1.5.0' END
FROM (
    SELECT
        id, block, key, started_at,
        'TEST-' || lpad((1 + mod(key, CASE WHEN block = 0 THEN %(history_projects)s
                                        ELSE %(window_projects)s END))::text, 3, '0')
            AS project_id,
        25 + 60 * pg_temp.u(key, 7) + 900 * pg_temp.u(key, 8) ^ 12 AS duration_ms,
        pg_temp.u(key, 9) >= 0.02 AS success,
        (92 + mod(key, 7)) * 1048576::bigint AS rss
    FROM (
        SELECT
            id, block,
            position + block * %(window)s::bigint * 10 AS key,
            CASE block
                WHEN 0 THEN %(anchor)s::timestamptz - interval '90 days'
                    + (position - 1) * (interval '90 days' - interval '3 hours') / %(history)s
                WHEN 1 THEN %(anchor)s::timestamptz - interval '106 minutes'
                    + (position - 1) * interval '45 minutes' / %(window)s
                ELSE %(anchor)s::timestamptz - interval '46 minutes'
                    + (position - 1) * interval '45 minutes' / %(window)s
            END AS started_at
        FROM (
            SELECT
                id,
                CASE WHEN id > %(history)s + %(window)s THEN 2
                     WHEN id > %(history)s THEN 1 ELSE 0 END AS block,
                CASE WHEN id > %(history)s + %(window)s THEN id - %(history)s - %(window)s
                     WHEN id > %(history)s THEN id - %(history)s ELSE id END AS position
            FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS id
        ) AS numbered
    ) AS placed
) AS valued
"""

# The components of an orchestration with pattern recognition, in the order it records
# them: (name, parent, depth, start and length as shares of the run's duration).
COMPONENTS = """
INSERT INTO perfmetrics_component (
    run_id, name, parent, depth, offset_ms, duration_ms, cpu_ms, success, error
)
SELECT
    r.id, c.name, c.parent, c.depth, r.duration_ms * c.start_share,
    r.duration_ms * c.share, r.duration_ms * c.share * 0.85,
    r.success OR c.name <> 'action_execution',
    CASE WHEN c.name = 'action_execution' THEN r.error ELSE '' END
FROM perfmetrics_run AS r
CROSS JOIN (VALUES
    (1, 'project_analysis', '', 0, 0.00, 0.10),
    (2, 'full_pattern_analysis', '', 0, 0.10, 0.70),
    (3, 'similarity_analysis', 'full_pattern_analysis', 1, 0.10, 0.30),
    (4, 'velocity_analysis', 'full_pattern_analysis', 1, 0.40, 0.15),
    (5, 'success_pattern_detection', 'full_pattern_analysis', 1, 0.55, 0.15),
    (6, 'insights_generation', 'full_pattern_analysis', 1, 0.70, 0.10),
    (7, 'decision_making', '', 0, 0.80, 0.05),
    (8, 'confidence_gating', 'decision_making', 1, 0.82, 0.02),
    (9, 'action_execution', '', 0, 0.85, 0.14)
) AS c(ord, name, parent, depth, start_share, share)
WHERE r.id BETWEEN %(first)s AND %(last)s
ORDER BY r.id, c.ord
"""


def marker(*, total: int, window_runs: int) -> str:
    """Identifies a generated database: its parameters plus a digest of the generating SQL
    and of perfmetrics' migrations. A new index must grow row by row with the runs, as
    in production, not be built packed by ``migrate`` over the existing rows."""
    digest = hashlib.sha256((UNIFORM + RUNS + COMPONENTS).encode())
    for path in sorted((ROOT / "perfmetrics" / "migrations").glob("*.py")):
        digest.update(path.read_bytes())
    return f"generated runs total={total} window={window_runs} code={digest.hexdigest()[:16]}"


def generate(url: str, *, total: int, window_runs: int) -> None:
    """Fill the (migrated, empty) run tables at ``url``, then VACUUM ANALYZE them."""
    history = total - 2 * window_runs
    if history < 0:
        raise SystemExit(f"{total} runs cannot hold two windows of {window_runs}")
    anchor = datetime.now(UTC)
    with psycopg.connect(url) as connection:
        connection.execute(UNIFORM)
        superuser = connection.execute("SELECT current_setting('is_superuser')").fetchone()
        if superuser is not None and superuser[0] == "on":
            # Skips the per-row foreign-key trigger: every run_id inserted exists.
            connection.execute("SET session_replication_role = replica")
        started = time.perf_counter()
        for first in range(1, total + 1, BATCH_RUNS):
            last = min(total, first + BATCH_RUNS - 1)
            params = {
                "first": first,
                "last": last,
                "history": history,
                "window": window_runs,
                "anchor": anchor,
                "history_projects": HISTORY_PROJECTS,
                "window_projects": WINDOW_PROJECTS,
            }
            connection.execute(RUNS, params)
            connection.execute(COMPONENTS, params)
            connection.commit()
            print(f"  {last:,}/{total:,} runs ({time.perf_counter() - started:.0f}s)")
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('perfmetrics_run', 'id'), %s)", [total]
        )
        connection.commit()
    vacuum(url)


def vacuum(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE perfmetrics_run")
        connection.execute("VACUUM ANALYZE perfmetrics_component")


def shift_windows(url: str, *, window_runs: int) -> timedelta:
    """Move the two window blocks so that the newest run started a minute ago."""
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT max(id), now() - %s - max(started_at) FROM perfmetrics_run", [NEWEST_RUN_AGE]
        ).fetchone()
        assert row is not None
        assert row[0] is not None
        newest, shift = int(row[0]), timedelta(seconds=row[1].total_seconds())
        if abs(shift) < timedelta(seconds=1):
            return shift
        connection.execute(
            "UPDATE perfmetrics_run SET started_at = started_at + %s WHERE id > %s",
            [shift, newest - 2 * window_runs],
        )
    vacuum(url)
    return shift
