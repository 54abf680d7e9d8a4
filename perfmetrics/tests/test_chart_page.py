from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from perfmetrics import chart_page
from perfmetrics.selectors import component_percentiles_over_time
from perfmetrics.statistics import percentile
from perfmetrics.tests.builders import make_run, part

CHART = "/admin/perfmetrics/run/chart/"
SINCE = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def seed(at: datetime, totals: list[float], pattern: list[float], **run) -> None:
    """One run per total, each with a project_analysis of 5 ms and a pattern analysis."""
    for minute, (total, pattern_ms) in enumerate(zip(totals, pattern, strict=True)):
        make_run(
            started_at=at + timedelta(minutes=minute),
            duration_ms=total,
            components=(
                part("project_analysis", ms=5.0),
                part("full_pattern_analysis", ms=pattern_ms),
            ),
            **run,
        )


@pytest.mark.django_db
def test_percentiles_per_component_and_bucket_match_values_computed_here(
    django_assert_num_queries,
):
    first = [100.0, 180.0, 240.0, 400.0, 1000.0]
    second = [50.0, 70.0, 90.0]
    seed(SINCE + timedelta(minutes=5), first, [10.0, 20.0, 35.0, 60.0, 300.0])
    seed(SINCE + 3 * HOUR, second, [7.0, 8.0, 9.0])

    with django_assert_num_queries(1):
        rows = component_percentiles_over_time(since=SINCE, until=SINCE + 24 * HOUR, bucket=HOUR)

    by_key = {(r.name, r.start): r for r in rows}
    assert sorted({r.name for r in rows}) == [
        "full_pattern_analysis",
        "project_analysis",
        "total_orchestration",
    ]
    total_first = by_key[("total_orchestration", SINCE)]
    assert total_first.is_run
    assert total_first.count == 5
    assert total_first.p50_ms == pytest.approx(percentile(first, 0.5))
    assert total_first.p95_ms == pytest.approx(percentile(first, 0.95))
    total_second = by_key[("total_orchestration", SINCE + 3 * HOUR)]
    assert total_second.p95_ms == pytest.approx(percentile(second, 0.95))
    pattern_first = by_key[("full_pattern_analysis", SINCE)]
    assert not pattern_first.is_run
    assert pattern_first.p50_ms == pytest.approx(35.0)
    assert pattern_first.p95_ms == pytest.approx(percentile([10.0, 20.0, 35.0, 60.0, 300.0], 0.95))
    assert len(rows) == 6


@pytest.mark.django_db
def test_percentiles_leave_out_failures_other_projects_and_runs_outside_the_window():
    make_run(started_at=SINCE, duration_ms=100.0, components=(part("a", ms=10.0),))
    make_run(
        started_at=SINCE,
        duration_ms=900.0,
        success=False,
        components=(part("a", ms=90.0, success=False),),
    )
    make_run(
        started_at=SINCE, duration_ms=500.0, project_id="OTHER", components=(part("a", ms=50.0),)
    )
    make_run(started_at=SINCE - timedelta(seconds=1), duration_ms=700.0)
    make_run(started_at=SINCE + 24 * HOUR, duration_ms=800.0)

    rows = component_percentiles_over_time(
        since=SINCE, until=SINCE + 24 * HOUR, bucket=HOUR, project_id="TEST-001"
    )

    assert [(r.name, r.count, r.p50_ms, r.p95_ms) for r in rows] == [
        ("a", 1, 10.0, 10.0),
        ("total_orchestration", 1, 100.0, 100.0),
    ]


def series_points(html: str) -> dict[str, int]:
    panels = re.findall(
        r'<svg class="percentile-chart" data-series="([^"]+)"(.*?)</svg>', html, re.S
    )
    return {name: body.count('<circle class="point"') for name, body in panels}


@pytest.mark.django_db
def test_the_chart_page_draws_one_series_per_component_with_a_point_per_bucket(admin_client):
    # Ten minutes past whole hours, so each run's bucket is certain; the window is
    # the 24 hours up to the end of the current hour.
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    seed(hour - 5 * HOUR + 10 * MINUTE, [100.0, 200.0], [10.0, 20.0])
    seed(hour - 2 * HOUR + 10 * MINUTE, [150.0], [15.0])
    seed(hour - 30 * HOUR + 10 * MINUTE, [900.0], [90.0])  # outside the window

    response = admin_client.get(CHART, {"days": "1", "bucket": "1h"})

    assert response.status_code == 200
    assert series_points(response.text) == {
        "total_orchestration": 2,
        "full_pattern_analysis": 2,
        "project_analysis": 2,
    }
    # The run's own series comes first.
    assert response.text.index('data-series="total_orchestration"') < response.text.index(
        'data-series="full_pattern_analysis"'
    )
    p50 = percentile([100.0, 200.0], 0.5)
    assert f"p50 {p50:.3g} ms" in response.text


@pytest.mark.django_db
def test_the_chart_page_filters_by_project_and_defaults_to_a_day_of_hours(admin_client):
    make_run(project_id="A", components=(part("only_in_a"),))
    make_run(project_id="B", components=(part("only_in_b"),))

    everything = admin_client.get(CHART)
    only_a = admin_client.get(CHART, {"project_id": "A"})

    assert set(series_points(everything.text)) == {"total_orchestration", "only_in_a", "only_in_b"}
    assert set(series_points(only_a.text)) == {"total_orchestration", "only_in_a"}
    assert "in 1h buckets" in everything.text
    assert 'name="days" value="1"' in everything.text


@pytest.mark.django_db
def test_the_chart_page_says_so_when_the_window_has_no_runs(admin_client):
    response = admin_client.get(CHART)

    assert response.status_code == 200
    assert "No successful runs in this window." in response.text
    assert "percentile-chart" not in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"days": "0"}, "greater than or equal to 1"),
        ({"days": "91"}, "less than or equal to 90"),
        ({"days": "week"}, "Enter a whole number"),
        ({"bucket": "2h"}, "Select a valid choice"),
        ({"days": "90", "bucket": "15m"}, "at most 750: pick a larger bucket"),
        ({"project_id": "x" * 81}, "at most 80 characters"),
    ],
)
def test_bad_chart_parameters_get_a_400_that_names_the_problem(admin_client, params, message):
    response = admin_client.get(CHART, params)

    assert response.status_code == 400
    assert message in response.text
    assert "percentile-chart" not in response.text


@pytest.mark.django_db
def test_a_window_with_too_many_runs_gets_a_400_asking_for_a_narrower_one(
    admin_client, monkeypatch
):
    monkeypatch.setattr(chart_page, "MAX_RUNS", 2)
    for _ in range(3):
        make_run(project_id="BUSY")
    make_run(project_id="QUIET")

    everything = admin_client.get(CHART)
    one_project = admin_client.get(CHART, {"project_id": "QUIET"})

    assert everything.status_code == 400
    assert "More than 2 runs started in the chosen 1-day window" in everything.text
    assert one_project.status_code == 200
