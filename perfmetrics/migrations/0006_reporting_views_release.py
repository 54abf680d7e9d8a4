# The reporting views gain the run's release (docs/sql-reporting.md), and one new view
# gives each release's statistics per component.
#
# CREATE OR REPLACE VIEW may only append columns, and it keeps the grants the reporting
# role already holds on a view. The new view needs `create_reporting_role` run again
# (every release's deploy does). The reverse drops the views and re-creates those of 0003.

import importlib

from django.db import migrations

_V3 = importlib.import_module("perfmetrics.migrations.0003_reporting_views")

SAMPLES = _V3.SAMPLES.replace("CREATE VIEW", "CREATE OR REPLACE VIEW").replace(
    "       r.success\nFROM perfmetrics_run r\n",
    "       r.success,\n       r.release\nFROM perfmetrics_run r\n",
).replace(
    "       c.success\nFROM perfmetrics_component c",
    "       c.success,\n       r.release\nFROM perfmetrics_component c",
)

RUN_OVERVIEW = _V3.RUN_OVERVIEW.replace("CREATE VIEW", "CREATE OR REPLACE VIEW").replace(
    "       r.pid\nFROM perfmetrics_run r", "       r.pid,\n       r.release\nFROM perfmetrics_run r"
)

THRESHOLD_BREACHES = (
    _V3.THRESHOLD_BREACHES.replace("CREATE VIEW", "CREATE OR REPLACE VIEW")
    .replace("r.duration_ms AS actual\n", "r.duration_ms AS actual, r.release\n")
    .replace("t.metric, t.component, t.target, c.actual\n", "t.metric, t.component, t.target, c.actual, r.release\n")
    .replace(
        "       (r.rss_after_bytes - r.rss_before_bytes) / 1048576.0::double precision\nFROM",
        "       (r.rss_after_bytes - r.rss_before_bytes) / 1048576.0::double precision,\n"
        "       r.release\nFROM",
    )
)

# Each release's statistics over the live runs (roll-ups keep no release).
RELEASE_STATS = """
CREATE VIEW perfmetrics_release_component_stats AS
SELECT release, run_name, component, count, successful,
       successful::double precision / count AS success_rate,
       first_started_at, last_started_at,
       avg_ms, pct[1] AS p50_ms, pct[2] AS p95_ms, pct[3] AS p99_ms
FROM (
    SELECT s.release, s.run_name, s.component,
           count(*) AS count,
           count(*) FILTER (WHERE s.success) AS successful,
           min(s.started_at) AS first_started_at,
           max(s.started_at) AS last_started_at,
           avg(s.duration_ms) FILTER (WHERE s.success) AS avg_ms,
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY s.duration_ms)
               FILTER (WHERE s.success) AS pct
    FROM perfmetrics_duration_samples s
    GROUP BY s.release, s.run_name, s.component
) live
"""

_DROP_ALL = """
DROP VIEW perfmetrics_release_component_stats;
DROP VIEW perfmetrics_daily_threshold_breaches;
DROP VIEW perfmetrics_daily_project_component_stats;
DROP VIEW perfmetrics_daily_component_stats;
DROP VIEW perfmetrics_duration_samples;
DROP VIEW perfmetrics_threshold_breaches;
DROP VIEW perfmetrics_run_overview;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("perfmetrics", "0005_run_release_and_traceback"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[SAMPLES, RUN_OVERVIEW, THRESHOLD_BREACHES, RELEASE_STATS],
            reverse_sql=[_DROP_ALL, *(create for _, create in _V3.VIEWS)],
        )
    ]
