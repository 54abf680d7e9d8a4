from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from perfmetrics.sql_reporting import REPORTING_VIEWS
from perfmetrics.tests.conftest import make_run

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_REPORTING_MIGRATION = ("perfmetrics", "0002_daily_rollup_and_threshold")


def relations() -> set[str]:
    with connection.cursor() as cursor:
        return {info.name for info in connection.introspection.get_table_list(cursor)}


def test_the_reporting_migrations_reverse_cleanly_and_apply_again():
    run = make_run(120)
    executor = MigrationExecutor(connection)
    (previous,) = (
        parent.key
        for parent in executor.loader.graph.node_map[FIRST_REPORTING_MIGRATION].parents
        if parent.key[0] == "perfmetrics"
    )

    executor.migrate([previous])
    reversed_to = relations()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    reapplied = relations()

    assert reversed_to.isdisjoint({*REPORTING_VIEWS, "perfmetrics_dailyrollup"})
    assert "perfmetrics_run" in reversed_to
    assert reapplied >= {*REPORTING_VIEWS, "perfmetrics_dailyrollup", "perfmetrics_threshold"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT run_id FROM perfmetrics_run_overview")
        assert cursor.fetchall() == [(run.pk,)]
        cursor.execute("SELECT count(*) FROM perfmetrics_threshold")
        assert cursor.fetchone() == (4,)
