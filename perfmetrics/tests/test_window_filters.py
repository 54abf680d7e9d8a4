"""A window narrowed by source, labels and a start bound, as ``manage.py perftest`` asks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from perfmetrics.models import Run
from perfmetrics.selectors import (
    component_statistics,
    run_statistics,
    window_samples,
    window_statistics,
)
from perfmetrics.tests.conftest import make_run
from perfmetrics.values import Window

pytestmark = pytest.mark.django_db


def labelled(label: str, duration_ms: float, **options) -> Run:
    run = make_run(duration_ms, components={"part": duration_ms / 2}, **options)
    Run.objects.filter(pk=run.pk).update(labels={"label": label, "other": "x"})
    return run


def test_it_keeps_only_runs_of_the_source_with_one_of_the_label_values_since_the_bound():
    now = timezone.now()
    labelled("t:a", 10.0, source="perftest", ago=timedelta(minutes=2), rss_delta_mb=3.0)
    labelled("t:b", 30.0, source="perftest", ago=timedelta(minutes=1), success=False)
    labelled("t:c", 500.0, source="perftest")
    labelled("t:a", 700.0, source="api")
    labelled("t:a", 900.0, source="perftest", ago=timedelta(minutes=20))
    make_run(800.0, source="perftest")
    window = Window(
        minutes=None,
        source="perftest",
        labels={"label": ("t:a", "t:b")},
        since=now - timedelta(minutes=10),
    )

    total, resources = run_statistics(window, now=now)
    components = component_statistics(window, now=now)

    assert (total.count, total.successful, total.max_ms, total.failed_max_ms) == (2, 1, 10.0, 30.0)
    assert resources.memory_increase_mb.max == pytest.approx(3.0)
    assert list(components) == ["part"]
    part = components["part"]
    assert (part.count, part.max_ms, part.failed_max_ms) == (2, 5.0, 15.0)


def test_a_label_filter_names_the_key_it_reads():
    labelled("t:a", 10.0)

    total, _ = run_statistics(Window(minutes=None, labels={"other": ("t:a",)}), now=timezone.now())

    assert total.count == 0


def test_runs_after_now_count_in_a_window_bounded_by_since_alone():
    # The server's clock may run ahead of the caller's: no upper bound then.
    now = timezone.now()
    labelled("t:a", 10.0, started_at=now + timedelta(seconds=5))

    total, _ = run_statistics(Window(minutes=None, since=now - timedelta(minutes=1)), now=now)

    assert total.count == 1


def test_nothing_comes_before_a_window_bounded_by_since_alone():
    now = timezone.now()
    labelled("t:a", 10.0, ago=timedelta(minutes=5))
    labelled("t:a", 20.0, ago=timedelta(minutes=50))

    window = Window(minutes=None, since=now - timedelta(minutes=10))

    stats = window_statistics(window, now=now)

    assert stats.total.count == 1
    assert window_samples(window, now=now, limit=100, previous=True) == {None: []}


def test_the_default_window_ignores_source_and_labels():
    labelled("t:a", 10.0, source="perftest")
    make_run(20.0)

    total, _ = run_statistics(Window(), now=timezone.now())

    assert total.count == 2


def test_the_filters_add_no_query(django_assert_num_queries):
    window = Window(minutes=None, source="perftest", labels={"label": ("t:a", "t:b")})

    with django_assert_num_queries(2):
        run_statistics(window, now=timezone.now())
        component_statistics(window, now=timezone.now())
