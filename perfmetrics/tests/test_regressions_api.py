from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from perfmetrics.tests.conftest import make_run

pytestmark = pytest.mark.django_db
REGRESSIONS = "/orchestrate/intelligence/performance/regressions"


def record(release: str, medians: dict[str, float], *, count: int, seed: int, ago: int) -> None:
    """``count`` runs of ``release``, started from ``ago`` minutes back, one a second."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        draw = {k: float(rng.lognormal(np.log(v), 0.1)) for k, v in medians.items()}
        total = draw.pop("total")
        make_run(
            total,
            release=release,
            components=draw,
            ago=timedelta(minutes=ago, seconds=-i),
        )


def test_a_slower_release_is_reported_for_the_component_that_slowed(api_client):
    record("v1", {"total": 100, "full_pattern_analysis": 40}, count=60, seed=1, ago=600)
    record("v2", {"total": 100, "full_pattern_analysis": 60}, count=60, seed=2, ago=300)

    body = api_client.get(REGRESSIONS).json()

    release = body["comparisons"][0]
    assert (release["kind"], release["baseline"], release["candidate"]) == ("release", "v1", "v2")
    assert [c["component"] for c in release["components"]] == [
        "full_pattern_analysis",
        "total_orchestration",
    ]
    (regression,) = body["regressions"]
    assert regression["component"] == "full_pattern_analysis"
    assert regression["baseline_runs"] == regression["candidate_runs"] == 60
    assert regression["ratio"] == pytest.approx(1.5, rel=0.1)
    assert regression["p_value"] < 0.001
    sentence = regression["recommendation"]
    assert sentence.startswith("full_pattern_analysis regressed in release v2 against release v1")
    assert "60 against 60 runs" in sentence
    assert body["recommendations"] == [sentence]


def test_the_recent_window_is_compared_with_the_previous_one(api_client):
    record("v1", {"total": 100}, count=40, seed=3, ago=100)
    record("v1", {"total": 150}, count=40, seed=4, ago=30)

    body = api_client.get(REGRESSIONS, {"minutes": 60}).json()

    (window,) = body["comparisons"]
    assert window["kind"] == "window"
    (regression,) = body["regressions"]
    assert regression["kind"] == "window"
    assert regression["component"] == "total_orchestration"
    assert regression["recommendation"].startswith("total_orchestration regressed in the window ")


def test_no_regression_without_a_slowdown(api_client):
    record("v1", {"total": 100}, count=30, seed=5, ago=600)
    record("v2", {"total": 100}, count=30, seed=6, ago=300)

    body = api_client.get(REGRESSIONS).json()

    assert body["regressions"] == []
    assert body["recommendations"] == ["No regression detected."]
    assert body["threshold_percent"] == 20.0


def test_too_few_runs_compare_nothing(api_client):
    record("v1", {"total": 100}, count=5, seed=7, ago=600)
    record("v2", {"total": 300}, count=5, seed=8, ago=300)

    body = api_client.get(REGRESSIONS).json()

    assert body["comparisons"][0]["components"] == []
    assert body["regressions"] == []


def test_the_comparison_reads_a_bounded_number_of_queries(
    api_client, django_assert_max_num_queries
):
    record("v1", {"total": 100, "a": 10}, count=12, seed=9, ago=600)
    record("v2", {"total": 100, "a": 10}, count=12, seed=10, ago=300)

    # Authentication, the two releases, and each side's samples.
    with django_assert_max_num_queries(7):
        api_client.get(REGRESSIONS)


def test_an_unknown_parameter_is_refused(api_client):
    response = api_client.get(REGRESSIONS, {"minute": 5})

    assert response.status_code == 400
    assert "minute" in response.json()
