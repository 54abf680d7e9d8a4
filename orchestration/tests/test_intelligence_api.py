"""The read-only pattern views: insights, similar projects, velocity trends, data quality.

Expected values are worked out by hand from docs/design.md §4 for the history each test builds.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from conftest import add_closed_sprints, make_project

INSIGHTS = "/orchestrate/intelligence/project/{}/insights"
SIMILAR = "/orchestrate/intelligence/patterns/similar-projects/{}"
VELOCITY = "/orchestrate/intelligence/patterns/velocity-trends/{}"
QUALITY = "/orchestrate/intelligence/data-quality/{}"
ALL_URLS = [INSIGHTS, SIMILAR, VELOCITY, QUALITY]

# TEST-001 and its two peers share one history; FAR differs in every varying feature,
# so after z-scoring the peers sit on TEST-001's vector (cosine 1) and FAR opposite (-1).
HISTORY = [(10, 8), (10, 9), (10, 10)]
PEER = {
    "similarity_score": 1.0,
    "team_size": 3,
    "completion_rate": 0.9,
    "avg_sprint_duration": 2.0,
    "optimal_task_count": 10,
}


def build_peers() -> None:
    add_closed_sprints(make_project(), HISTORY)
    for peer_id in ("PEER-2", "PEER-1"):
        add_closed_sprints(make_project(peer_id), HISTORY)
    add_closed_sprints(make_project("FAR", team=8), [(4, 1), (4, 1)])


@pytest.mark.django_db
def test_insights_report_the_whole_pattern_analysis(api_client):
    build_peers()

    response = api_client.get(INSIGHTS.format("TEST-001"))

    assert response.status_code == 200, response.content
    body = response.json()
    analysis = body["pattern_analysis"]
    assert body["project_id"] == "TEST-001"
    assert analysis["similar_projects"] == [
        {"project_id": "PEER-1", **PEER},
        {"project_id": "PEER-2", **PEER},
    ]
    # completed 8, 9, 10: slope +1 (increasing); confidence 3/10 * (1 - 1) = 0.
    assert analysis["velocity_trends"] == {
        "trend": "increasing",
        "slope": 1.0,
        "confidence": 0.0,
        "current_velocity": 10,
        "historical_range": [8, 10],
        "sprints_analyzed": 3,
    }
    assert analysis["success_indicators"] == {
        "optimal_tasks_per_sprint": 10,
        "recommended_duration_weeks": 2,
        "success_probability": 1.0,
        "projects_analyzed": 2,
    }
    # completeness = mean(3/10, 3/3 retrospectives, 3/3 with tasks) = 0.7667 -> medium;
    # confidence = mean(2/3 * 1.0, 0.0, 0.7667) = 0.4778.
    assert body["data_quality_report"] == {
        "closed_sprints": 3,
        "retrospectives": 3,
        "avg_completion_rate": 0.9,
        "avg_velocity": 9.0,
        "completeness_score": 0.7667,
        "quality_level": "medium",
        "issues": [],
    }
    assert analysis["pattern_confidence"] == 0.4778
    assert body["insights_summary"] == (
        "Velocity is increasing over the last 3 sprint(s) (slope +1.00, current 10 task(s)); "
        "2 similar project(s), closest PEER-1 (1.00); they finish best with about 10 task(s) "
        "per sprint and 100% of them complete over 80% of their tasks; data quality is medium."
    )


@pytest.mark.django_db
def test_similar_projects_keep_the_close_ones_best_first(api_client):
    build_peers()

    body = api_client.get(SIMILAR.format("TEST-001")).json()

    assert [p["project_id"] for p in body["similar_projects"]] == ["PEER-1", "PEER-2"]
    assert body["success_indicators"]["projects_analyzed"] == 2
    far = api_client.get(SIMILAR.format("FAR")).json()
    assert far["similar_projects"] == []
    assert far["success_indicators"] == {
        "optimal_tasks_per_sprint": None,
        "recommended_duration_weeks": None,
        "success_probability": 0.0,
        "projects_analyzed": 0,
    }


@pytest.mark.django_db
def test_velocity_trends_use_the_last_ten_closed_sprints(api_client):
    completed = [1, 1, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6]
    add_closed_sprints(make_project(), [(10, c) for c in completed])

    response = api_client.get(VELOCITY.format("TEST-001"))

    assert response.status_code == 200, response.content
    body = response.json()
    # Last ten: five 5s then five 6s; slope = 12.5 / 82.5 = 0.1515 (> 0.1, increasing);
    # confidence = 10/10 * (1 - 0.1515) = 0.8485. The two early 1s are out of the window.
    assert body["velocity_trends"] == {
        "trend": "increasing",
        "slope": 0.1515,
        "confidence": 0.8485,
        "current_velocity": 6,
        "historical_range": [5, 6],
        "sprints_analyzed": 10,
    }
    assert [s["sprint_id"] for s in body["recent_sprints"]] == [
        f"TEST-001-S{n:02d}" for n in range(3, 13)
    ]
    assert body["recent_sprints"][0] == {
        "sprint_id": "TEST-001-S03",
        "task_count": 10,
        "completed_count": 5,
        "completion_rate": 0.5,
        "duration_weeks": 2,
    }


@pytest.mark.django_db
def test_velocity_of_a_project_without_history_is_stable_and_empty(api_client):
    make_project()

    body = api_client.get(VELOCITY.format("TEST-001")).json()

    assert body["velocity_trends"]["trend"] == "stable"
    assert body["velocity_trends"]["sprints_analyzed"] == 0
    assert body["recent_sprints"] == []


@pytest.mark.django_db
def test_data_quality_counts_missing_retrospectives_of_sprints_that_held_tasks(api_client):
    project = make_project()
    add_closed_sprints(project, [(10, 8), (10, 6)])
    add_closed_sprints(project, [(10, 10), (0, 0)], retrospectives=False)

    response = api_client.get(QUALITY.format("TEST-001"))

    assert response.status_code == 200, response.content
    # The sprint without tasks stays out: rates 0.8, 0.6, 1.0 -> 0.8; velocity 24 / 3 = 8;
    # completeness = mean(3/10, 2/3, 3/3) = 0.6556 -> medium.
    assert response.json() == {
        "project_id": "TEST-001",
        "data_quality_report": {
            "closed_sprints": 3,
            "retrospectives": 2,
            "avg_completion_rate": 0.8,
            "avg_velocity": 8.0,
            "completeness_score": 0.6556,
            "quality_level": "medium",
            "issues": ["1 closed sprint(s) have no retrospective"],
        },
    }


@pytest.mark.django_db
@pytest.mark.parametrize("url", ALL_URLS)
def test_pattern_views_answer_404_for_an_unknown_project(api_client, url):
    make_project()

    response = api_client.get(url.format("NOPE"))

    assert response.status_code == 404
    assert response.json() == {"detail": "Project 'NOPE' does not exist.", "code": "not_found"}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ALL_URLS)
def test_pattern_views_require_a_token(url):
    make_project()

    assert APIClient().get(url.format("TEST-001")).status_code == 401


def count_queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "bound"),
    # The token lookup, then: the team size, closed sprints, every project's features
    # row and the retrospective count; the velocity view needs only project and sprints.
    [(INSIGHTS, 5), (SIMILAR, 5), (QUALITY, 5), (VELOCITY, 3)],
)
def test_pattern_views_queries_do_not_grow_with_projects_or_sprints(
    api_client, django_assert_max_num_queries, url, bound
):
    build_peers()
    few = count_queries(api_client, url.format("TEST-001"))
    add_closed_sprints(make_project("LONG"), [(10, 7)] * 15)
    for i in range(3, 10):
        add_closed_sprints(make_project(f"PEER-{i}", team=i), [(i, i - 1)] * 3)

    with django_assert_max_num_queries(bound):
        assert api_client.get(url.format("LONG")).status_code == 200
    assert count_queries(api_client, url.format("LONG")) == few
