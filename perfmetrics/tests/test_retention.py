from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perfmetrics.models import Component, DailyRollup, Run
from perfmetrics.retention import (
    PRUNE_LOCK_KEY,
    Progress,
    PruneInProgressError,
    parse_age,
    plan_prune,
    prune_cutoff,
    prune_runs,
    roll_up_day,
)
from perfmetrics.selectors import window_statistics
from perfmetrics.tests.conftest import make_run
from perfmetrics.tests.sql import STAT_COLUMNS, assert_row_matches, connect_as, fetch
from perfmetrics.values import Window

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
THIRTY_DAYS = timedelta(days=30)
# The cutoff of a 30-day prune at NOW: the start of 2026-10-31 (UTC).
CUTOFF = datetime(2026, 10, 31, tzinfo=UTC)
PARTS = {"project_analysis": 0.2, "full_pattern_analysis": 0.6}


def run_at(moment: datetime, duration: float = 100.0, **kwargs) -> Run:
    parts = {name: duration * share for name, share in PARTS.items()}
    return make_run(duration, started_at=moment, components=parts, **kwargs)


def seed_old_day(day: date, durations: list[float], *, project_id: str = "P1") -> list[Run]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return [
        run_at(start + timedelta(minutes=7 * i), value, project_id=project_id, success=i % 5 != 1)
        for i, value in enumerate(durations)
    ]


def rollups(**filters) -> dict[str, dict[str, object]]:
    """Roll-up rows by component, with the success rate the views derive."""
    return {
        r.component: {**vars(r), "success_rate": r.successful / r.count}
        for r in DailyRollup.objects.filter(**filters)
    }


def test_ages_are_days_or_hours():
    assert parse_age("30d") == timedelta(days=30)
    assert parse_age("12h") == timedelta(hours=12)
    for bad in ("30", "0d", "-1d", "1w", "d", "1.5d", "99999999d"):
        with pytest.raises(ValueError, match=r"is not an age|longer than"):
            parse_age(bad)


def test_the_cutoff_is_the_start_of_the_utc_day_that_contains_the_age():
    assert prune_cutoff(older_than=THIRTY_DAYS, now=NOW) == CUTOFF
    assert prune_cutoff(older_than=timedelta(hours=16), now=NOW) == datetime(
        2026, 11, 29, tzinfo=UTC
    )


def test_rollups_equal_the_statistics_of_the_runs_they_replace():
    day = date(2026, 10, 10)
    seed_old_day(day, [float(v) for v in range(50, 1550, 37)])
    seed_old_day(day, [300.0, 900.0, 120.0, 4000.0], project_id="P2")
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    everywhere = window_statistics(Window(minutes=24 * 60), now=end)
    per_project = window_statistics(Window(minutes=24 * 60, project_id="P2"), now=end)

    result = prune_runs(older_than=THIRTY_DAYS, now=NOW)

    assert result.plan.days == (day,)
    assert not Run.objects.exists()
    overall = rollups(day=day, project_id=None)
    assert set(overall) == {"total_orchestration", *PARTS}
    assert_row_matches(overall["total_orchestration"], everywhere.total)
    for name in PARTS:
        assert_row_matches(overall[name], everywhere.components[name])
    assert_row_matches(rollups(day=day, project_id="P2")["total_orchestration"], per_project.total)


def test_pruning_removes_exactly_the_runs_before_the_cutoff_and_their_components():
    old = [
        run_at(CUTOFF - timedelta(days=9)),
        run_at(CUTOFF - timedelta(days=1)),
        run_at(CUTOFF - timedelta(microseconds=1)),
    ]
    kept = [
        run_at(CUTOFF),
        run_at(NOW - THIRTY_DAYS - timedelta(hours=1)),  # older than 30 days, but a partial day
        run_at(NOW - timedelta(minutes=5)),
    ]

    result = prune_runs(older_than=THIRTY_DAYS, now=NOW)

    assert set(Run.objects.values_list("pk", flat=True)) == {r.pk for r in kept}
    assert set(Component.objects.values_list("run_id", flat=True)) == {r.pk for r in kept}
    assert (result.deleted.runs, result.deleted.components) == (3, 6)
    assert result.plan.days == tuple(sorted({r.started_at.date() for r in old}))
    assert set(DailyRollup.objects.values_list("day", flat=True)) == set(result.plan.days)


def test_pruning_again_changes_nothing():
    seed_old_day(date(2026, 10, 1), [10.0, 20.0, 30.0])
    run_at(NOW - timedelta(days=2))
    prune_runs(older_than=THIRTY_DAYS, now=NOW)
    snapshot = list(DailyRollup.objects.values())

    again = prune_runs(older_than=THIRTY_DAYS, now=NOW)

    assert (again.plan.days, again.rollup_rows, again.deleted.runs) == ((), 0, 0)
    assert list(DailyRollup.objects.values()) == snapshot
    assert Run.objects.count() == 1


def test_an_interrupted_prune_keeps_the_rollup_of_the_whole_day():
    day = date(2026, 10, 1)
    runs = seed_old_day(day, [10.0, 20.0, 30.0, 40.0, 50.0])
    roll_up_day(day)
    complete = list(DailyRollup.objects.values())
    # The prune stopped after deleting some of the day's runs.
    Run.objects.filter(pk__in=[r.pk for r in runs[:3]]).delete()

    result = prune_runs(older_than=THIRTY_DAYS, now=NOW)

    assert (result.rollup_rows, result.deleted.runs) == (0, 2)
    assert not Run.objects.exists()
    assert list(DailyRollup.objects.values()) == complete
    assert rollups(day=day, project_id=None)["total_orchestration"]["count"] == 5


def test_a_dry_run_reports_the_plan_and_writes_nothing():
    seed_old_day(date(2026, 10, 1), [10.0, 20.0])
    seed_old_day(date(2026, 10, 2), [10.0])

    with CaptureQueriesContext(connection) as queries:
        result = prune_runs(older_than=THIRTY_DAYS, now=NOW, dry_run=True)

    assert result.dry_run
    assert result.plan.days == (date(2026, 10, 1), date(2026, 10, 2))
    assert (result.plan.runs, result.plan.components) == (3, 6)
    assert (Run.objects.count(), Component.objects.count()) == (3, 6)
    assert not DailyRollup.objects.exists()
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)


def test_runs_are_deleted_in_batches_of_the_given_size():
    for i in range(5):
        run_at(CUTOFF - timedelta(hours=i + 1))
    batches: list[Progress] = []

    with CaptureQueriesContext(connection) as queries:
        result = prune_runs(older_than=THIRTY_DAYS, now=NOW, batch_size=2, progress=batches.append)

    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 6  # three batches: components, then runs
    assert result.deleted.batches == 3
    assert [p.deleted.runs for p in batches if p.day is None] == [2, 4, 5]
    assert not Run.objects.exists()


def test_the_daily_view_keeps_showing_pruned_days_with_the_same_numbers():
    day = date(2026, 10, 20)
    seed_old_day(day, [float(v) for v in range(10, 700, 23)])
    query = "SELECT * FROM perfmetrics_daily_component_stats WHERE day = %s ORDER BY component"
    before = fetch(query, [day])

    prune_runs(older_than=THIRTY_DAYS, now=NOW)
    after = fetch(query, [day])

    assert not Run.objects.exists()
    assert [r["component"] for r in after] == [r["component"] for r in before]
    for old, new in zip(before, after, strict=True):
        assert (new["from_rollup"], new["count"], new["successful"]) == (
            True,
            old["count"],
            old["successful"],
        )
        for column in STAT_COLUMNS:
            assert new[column] == pytest.approx(old[column]), column


def test_the_plan_counts_runs_of_rolled_up_days_that_remain():
    seed_old_day(date(2026, 10, 1), [10.0, 20.0])
    DailyRollup.objects.create(
        day=date(2026, 10, 1),
        run_name="total_orchestration",
        component="total_orchestration",
        count=2,
        successful=2,
        total_ms=30,
        successful_ms=30,
    )

    plan = plan_prune(cutoff=CUTOFF)

    assert (plan.days, plan.runs) == ((), 2)


def test_a_second_prune_is_refused_while_one_is_running():
    run_at(CUTOFF - timedelta(days=1))

    with connect_as() as other_session:
        other_session.execute("SELECT pg_advisory_lock(%s)", [PRUNE_LOCK_KEY])
        with pytest.raises(PruneInProgressError):
            prune_runs(older_than=THIRTY_DAYS, now=NOW)

    assert Run.objects.count() == 1
    assert not DailyRollup.objects.exists()
