# Reporting views for analysts (docs/sql-reporting.md documents every column).
#
# The views run with their owner's rights (no security_invoker), so the reporting
# role needs SELECT on the views only, never on the base tables. Days are UTC days.
# A migration that later alters a column these views read must drop and re-create them.

from django.db import migrations

SAMPLES = """
CREATE VIEW perfmetrics_duration_samples AS
SELECT r.id AS run_id,
       r.started_at,
       (r.started_at AT TIME ZONE 'UTC')::date AS day,
       r.name AS run_name,
       r.project_id,
       r.source,
       r.dry_run,
       TRUE AS is_run,
       r.name AS component,
       ''::varchar(64) AS parent,
       r.duration_ms,
       r.success
FROM perfmetrics_run r
UNION ALL
SELECT r.id,
       r.started_at,
       (r.started_at AT TIME ZONE 'UTC')::date,
       r.name,
       r.project_id,
       r.source,
       r.dry_run,
       FALSE,
       c.name,
       c.parent,
       c.duration_ms,
       c.success
FROM perfmetrics_component c
JOIN perfmetrics_run r ON r.id = c.run_id
"""

# Live runs of days that have no roll-up, plus the roll-ups: a day is either rolled up
# whole (retention) or still live, so no day is counted twice.
DAILY = """
CREATE VIEW perfmetrics_daily_component_stats AS
SELECT day, run_name, component, count, successful,
       successful::double precision / count AS success_rate,
       total_ms, avg_ms, min_ms, max_ms,
       pct[1] AS p50_ms, pct[2] AS p95_ms, pct[3] AS p99_ms,
       FALSE AS from_rollup
FROM (
    SELECT s.day, s.run_name, s.component,
           count(*) AS count,
           count(*) FILTER (WHERE s.success) AS successful,
           sum(s.duration_ms) AS total_ms,
           avg(s.duration_ms) FILTER (WHERE s.success) AS avg_ms,
           min(s.duration_ms) FILTER (WHERE s.success) AS min_ms,
           max(s.duration_ms) FILTER (WHERE s.success) AS max_ms,
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY s.duration_ms)
               FILTER (WHERE s.success) AS pct
    FROM perfmetrics_duration_samples s
    WHERE NOT EXISTS (SELECT 1 FROM perfmetrics_dailyrollup d WHERE d.day = s.day)
    GROUP BY s.day, s.run_name, s.component
) live
UNION ALL
SELECT d.day, d.run_name, d.component, d.count::bigint, d.successful::bigint,
       d.successful::double precision / d.count,
       d.total_ms, d.avg_ms, d.min_ms, d.max_ms, d.p50_ms, d.p95_ms, d.p99_ms,
       TRUE
FROM perfmetrics_dailyrollup d
WHERE d.project_id IS NULL
"""

DAILY_PER_PROJECT = """
CREATE VIEW perfmetrics_daily_project_component_stats AS
SELECT day, run_name, project_id, component, count, successful,
       successful::double precision / count AS success_rate,
       total_ms, avg_ms, min_ms, max_ms,
       pct[1] AS p50_ms, pct[2] AS p95_ms, pct[3] AS p99_ms,
       FALSE AS from_rollup
FROM (
    SELECT s.day, s.run_name, s.project_id, s.component,
           count(*) AS count,
           count(*) FILTER (WHERE s.success) AS successful,
           sum(s.duration_ms) AS total_ms,
           avg(s.duration_ms) FILTER (WHERE s.success) AS avg_ms,
           min(s.duration_ms) FILTER (WHERE s.success) AS min_ms,
           max(s.duration_ms) FILTER (WHERE s.success) AS max_ms,
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY s.duration_ms)
               FILTER (WHERE s.success) AS pct
    FROM perfmetrics_duration_samples s
    WHERE NOT EXISTS (SELECT 1 FROM perfmetrics_dailyrollup d WHERE d.day = s.day)
    GROUP BY s.day, s.run_name, s.project_id, s.component
) live
UNION ALL
SELECT d.day, d.run_name, d.project_id, d.component, d.count::bigint, d.successful::bigint,
       d.successful::double precision / d.count,
       d.total_ms, d.avg_ms, d.min_ms, d.max_ms, d.p50_ms, d.p95_ms, d.p99_ms,
       TRUE
FROM perfmetrics_dailyrollup d
WHERE d.project_id IS NOT NULL
"""

# LATERAL keeps filters on the run (started_at, project_id) applied before the
# per-run component lookup, so a query for one day reads only that day's runs.
RUN_OVERVIEW = """
CREATE VIEW perfmetrics_run_overview AS
SELECT r.id AS run_id,
       r.name AS run_name,
       r.started_at,
       r.started_at + r.duration_ms * interval '1 millisecond' AS finished_at,
       (r.started_at AT TIME ZONE 'UTC')::date AS day,
       r.project_id,
       r.source,
       r.dry_run,
       r.success,
       r.breached,
       r.error,
       r.labels,
       r.duration_ms AS total_ms,
       c.project_analysis_ms,
       c.full_pattern_analysis_ms,
       c.decision_making_ms,
       c.action_execution_ms,
       c.component_count,
       r.rss_before_bytes / 1048576.0::double precision AS memory_before_mb,
       r.rss_after_bytes / 1048576.0::double precision AS memory_after_mb,
       (r.rss_after_bytes - r.rss_before_bytes) / 1048576.0::double precision
           AS memory_change_mb,
       r.cpu_user_ms + r.cpu_system_ms AS cpu_ms,
       r.cpu_user_ms,
       r.cpu_system_ms,
       r.db_queries,
       r.db_time_ms,
       r.overhead_ms,
       r.host,
       r.pid
FROM perfmetrics_run r
CROSS JOIN LATERAL (
    SELECT sum(x.duration_ms) FILTER (WHERE x.name = 'project_analysis') AS project_analysis_ms,
           sum(x.duration_ms) FILTER (WHERE x.name = 'full_pattern_analysis')
               AS full_pattern_analysis_ms,
           sum(x.duration_ms) FILTER (WHERE x.name = 'decision_making') AS decision_making_ms,
           sum(x.duration_ms) FILTER (WHERE x.name = 'action_execution') AS action_execution_ms,
           count(*) AS component_count
    FROM perfmetrics_component x
    WHERE x.run_id = r.id
) c
"""

# One row per run and breached threshold; "breached" means actual >= target, the
# same rule the service applies when it flags a run (perfmetrics.analysis.judge_run).
THRESHOLD_BREACHES = """
CREATE VIEW perfmetrics_threshold_breaches AS
SELECT r.id AS run_id, r.started_at, (r.started_at AT TIME ZONE 'UTC')::date AS day,
       r.name AS run_name, r.project_id, r.source, r.dry_run, r.success,
       t.metric, r.name AS component, t.target, r.duration_ms AS actual
FROM perfmetrics_run r
JOIN perfmetrics_threshold t ON t.metric = 'total_ms'
WHERE r.duration_ms >= t.target
UNION ALL
SELECT r.id, r.started_at, (r.started_at AT TIME ZONE 'UTC')::date,
       r.name, r.project_id, r.source, r.dry_run, r.success,
       t.metric, t.component, t.target, c.actual
FROM perfmetrics_run r
JOIN perfmetrics_threshold t ON t.metric = 'component_ms'
CROSS JOIN LATERAL (
    SELECT max(x.duration_ms) AS actual
    FROM perfmetrics_component x
    WHERE x.run_id = r.id AND x.name = t.component
) c
WHERE c.actual >= t.target
UNION ALL
SELECT r.id, r.started_at, (r.started_at AT TIME ZONE 'UTC')::date,
       r.name, r.project_id, r.source, r.dry_run, r.success,
       t.metric, NULL, t.target,
       (r.rss_after_bytes - r.rss_before_bytes) / 1048576.0::double precision
FROM perfmetrics_run r
JOIN perfmetrics_threshold t ON t.metric = 'memory_increase_mb'
WHERE (r.rss_after_bytes - r.rss_before_bytes) / 1048576.0::double precision >= t.target
"""

# Days judged like the metrics endpoint judges a window: p95 latencies and the
# success rate of the run. Covers pruned days too (from the roll-ups).
DAILY_THRESHOLD_BREACHES = """
CREATE VIEW perfmetrics_daily_threshold_breaches AS
SELECT s.day, s.run_name, s.component, t.metric, 'p95'::text AS statistic,
       t.target, s.p95_ms AS actual, s.count, s.from_rollup
FROM perfmetrics_daily_component_stats s
JOIN perfmetrics_threshold t
  ON (t.metric = 'total_ms' AND s.component = s.run_name)
  OR (t.metric = 'component_ms' AND s.component = t.component)
WHERE s.p95_ms >= t.target
UNION ALL
SELECT s.day, s.run_name, s.component, t.metric, 'rate'::text,
       t.target, s.success_rate, s.count, s.from_rollup
FROM perfmetrics_daily_component_stats s
JOIN perfmetrics_threshold t ON t.metric = 'success_rate' AND s.component = s.run_name
WHERE s.success_rate <= t.target
"""

VIEWS = [
    ("perfmetrics_duration_samples", SAMPLES),
    ("perfmetrics_daily_component_stats", DAILY),
    ("perfmetrics_daily_project_component_stats", DAILY_PER_PROJECT),
    ("perfmetrics_run_overview", RUN_OVERVIEW),
    ("perfmetrics_threshold_breaches", THRESHOLD_BREACHES),
    ("perfmetrics_daily_threshold_breaches", DAILY_THRESHOLD_BREACHES),
]


class Migration(migrations.Migration):

    dependencies = [
        ("perfmetrics", "0002_daily_rollup_and_threshold"),
    ]

    operations = [
        migrations.RunSQL(sql=create, reverse_sql=f"DROP VIEW {name}")
        for name, create in VIEWS
    ]
