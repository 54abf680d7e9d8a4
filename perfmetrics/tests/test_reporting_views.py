from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings

from perfmetrics.models import DailyRollup, Threshold
from perfmetrics.retention import roll_up_day
from perfmetrics.selectors import window_statistics
from perfmetrics.sql_reporting import sync_thresholds
from perfmetrics.tests.conftest import make_run
from perfmetrics.tests.sql import STAT_COLUMNS, assert_row_matches, fetch
from perfmetrics.values import Window

pytestmark = pytest.mark.django_db

DAY_START = datetime(2026, 10, 5, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)
MAIN_COMPONENTS = {
    "project_analysis": 0.1,
    "full_pattern_analysis": 0.5,
    "decision_making": 0.2,
    "action_execution": 0.15,
}


def seed_day(runs: int = 60, *, seed: int = 11) -> None:
    """Runs of two projects spread over DAY, some failed, with the main components."""
    rng = random.Random(seed)
    for i in range(runs):
        total = rng.uniform(50, 2600)
        make_run(
            total,
            project_id="P1" if i % 3 else "P2",
            success=i % 9 != 4,
            started_at=DAY_START + timedelta(minutes=23 * i),
            components={name: total * share for name, share in MAIN_COMPONENTS.items()},
            rss_delta_mb=rng.uniform(0, 120),
        )


def daily_rows(view: str, **where: str) -> dict[str, dict[str, object]]:
    conditions = "".join(f" AND {column} = %s" for column in where)
    rows = fetch(
        f"SELECT * FROM {view} WHERE day = %s{conditions}", [DAY_START.date(), *where.values()]
    )
    by_component = {row["component"]: row for row in rows}
    assert len(by_component) == len(rows), "one row per component and day"
    return by_component


def test_the_daily_view_agrees_with_the_api_statistics_for_the_same_runs():
    seed_day()
    make_run(999, started_at=DAY_END + timedelta(minutes=1))  # the next day

    stats = window_statistics(Window(minutes=24 * 60, name=None), now=DAY_END)
    rows = daily_rows("perfmetrics_daily_component_stats")

    assert set(rows) == {"total_orchestration", *MAIN_COMPONENTS}
    assert_row_matches(rows["total_orchestration"], stats.total)
    for name in MAIN_COMPONENTS:
        assert_row_matches(rows[name], stats.components[name])
    assert rows["total_orchestration"]["count"] == 60
    assert rows["total_orchestration"]["from_rollup"] is False


def test_the_per_project_daily_view_agrees_with_the_project_statistics():
    seed_day()

    for project in ("P1", "P2"):
        stats = window_statistics(Window(minutes=24 * 60, project_id=project), now=DAY_END)
        rows = daily_rows("perfmetrics_daily_project_component_stats", project_id=project)
        assert_row_matches(rows["total_orchestration"], stats.total)
        assert_row_matches(rows["full_pattern_analysis"], stats.components["full_pattern_analysis"])


def test_the_daily_view_agrees_with_the_metrics_endpoint(api_client):
    seed_day(runs=40, seed=3)

    body = api_client.get("/orchestrate/intelligence/performance/metrics?last_runs=40").json()
    rows = daily_rows("perfmetrics_daily_component_stats")

    for name, row in rows.items():
        reported = body["component_metrics"][name]
        assert (row["count"], row["successful"]) == (
            reported["total_calls"],
            reported["successful_calls"],
        )
        assert row["success_rate"] == pytest.approx(reported["success_rate"])
        for stat in ("avg", "max", "p50", "p95", "p99"):
            key = f"{stat}_duration_ms"
            assert row[f"{stat}_ms"] == pytest.approx(reported[key]), (name, key)


def test_a_rolled_up_day_is_counted_once_while_its_runs_still_exist():
    seed_day(runs=30)
    before = daily_rows("perfmetrics_daily_component_stats")

    roll_up_day(DAY_START.date())
    after = daily_rows("perfmetrics_daily_component_stats")

    assert DailyRollup.objects.filter(day=DAY_START.date()).exists()
    assert after["total_orchestration"]["from_rollup"] is True
    assert after["total_orchestration"]["count"] == 30
    assert set(after) == set(before)
    for name, row in before.items():
        assert after[name]["count"] == row["count"]
        assert after[name]["successful"] == row["successful"]
        for column in STAT_COLUMNS:
            assert after[name][column] == pytest.approx(row[column]), (name, column)


def test_the_run_overview_has_one_row_per_run_with_its_main_components():
    run = make_run(
        400,
        components={"project_analysis": 40, "full_pattern_analysis": 200, "similarity_analysis": 9},
        rss_delta_mb=12.5,
        source="perftest",
        dry_run=True,
    )
    make_run(100, success=False)

    rows = {row["run_id"]: row for row in fetch("SELECT * FROM perfmetrics_run_overview")}

    assert len(rows) == 2
    row = rows[run.pk]
    assert (row["total_ms"], row["project_analysis_ms"], row["full_pattern_analysis_ms"]) == (
        400,
        40,
        200,
    )
    assert (row["decision_making_ms"], row["action_execution_ms"]) == (None, None)
    assert row["component_count"] == 3
    assert row["memory_change_mb"] == pytest.approx(12.5)
    assert row["cpu_ms"] == pytest.approx(run.cpu_user_ms + run.cpu_system_ms)
    assert (row["source"], row["dry_run"], row["success"]) == ("perftest", True, True)
    assert row["finished_at"] == run.finished_at


def test_the_breaches_view_applies_the_services_rule_at_each_boundary():
    total = make_run(2000)
    make_run(1999.9)
    pattern = make_run(500, components={"full_pattern_analysis": 1000.0})
    make_run(500, components={"full_pattern_analysis": 999.9})
    memory = make_run(10, rss_delta_mb=100)
    make_run(10, rss_delta_mb=99.9)

    rows = fetch("SELECT run_id, metric, component, target FROM perfmetrics_threshold_breaches")

    assert sorted((r["run_id"], r["metric"], r["component"]) for r in rows) == sorted(
        [
            (total.pk, "total_ms", "total_orchestration"),
            (pattern.pk, "component_ms", "full_pattern_analysis"),
            (memory.pk, "memory_increase_mb", None),
        ]
    )
    assert {r["metric"]: r["target"] for r in rows} == {
        "total_ms": 2000,
        "component_ms": 1000,
        "memory_increase_mb": 100,
    }


@override_settings(PERFMETRICS={"TOTAL_MS": 300.0, "COMPONENT_MS": {"decision_making": 50.0}})
def test_the_breaches_view_follows_the_configured_thresholds_once_synced():
    slow = make_run(300, components={"full_pattern_analysis": 5000, "decision_making": 60})

    sync_thresholds()
    rows = fetch("SELECT run_id, metric, component, target FROM perfmetrics_threshold_breaches")

    assert sorted((r["metric"], r["component"], r["target"]) for r in rows) == [
        ("component_ms", "decision_making", 50.0),
        ("total_ms", "total_orchestration", 300.0),
    ]
    assert {r["run_id"] for r in rows} == {slow.pk}


def test_the_daily_breaches_view_judges_p95_and_success_rate_like_the_endpoint():
    for i in range(20):
        make_run(2500 if i >= 18 else 100, started_at=DAY_START + timedelta(minutes=i))
    for i in range(10):
        make_run(
            100,
            success=i > 0,
            started_at=DAY_END + timedelta(minutes=i),
            components={"full_pattern_analysis": 1500},
        )

    rows = fetch(
        "SELECT day, component, metric, statistic, actual FROM perfmetrics_daily_threshold_breaches"
        " ORDER BY day, metric"
    )
    stats = window_statistics(Window(minutes=24 * 60), now=DAY_END)

    assert [(r["day"], r["component"], r["metric"], r["statistic"]) for r in rows] == [
        (DAY_START.date(), "total_orchestration", "total_ms", "p95"),
        (DAY_END.date(), "full_pattern_analysis", "component_ms", "p95"),
        (DAY_END.date(), "total_orchestration", "success_rate", "rate"),
    ]
    assert rows[0]["actual"] == pytest.approx(stats.total.p95_ms)
    assert rows[2]["actual"] == pytest.approx(0.9)


@override_settings(PERFMETRICS={"TOTAL_MS": 750.0, "COMPONENT_MS": {}})
def test_migrate_copies_the_threshold_settings_into_the_table():
    call_command("migrate", verbosity=0)

    assert sorted(Threshold.objects.values_list("metric", "component", "target")) == [
        ("memory_increase_mb", "", 100.0),
        ("success_rate", "", 0.95),
        ("total_ms", "", 750.0),
    ]
