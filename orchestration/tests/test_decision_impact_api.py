"""GET /orchestrate/intelligence/decision-impact/{id}: intelligence vs rule-based sprints."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from conftest import add_closed_sprints, make_project
from orchestration.models import Project, Sprint, SprintStatus

URL = "/orchestrate/intelligence/decision-impact/{}"
ENHANCED = "intelligence_enhanced"

# Five two-week sprints ending 2026-11-29; they start on 09-21, 10-05, 10-19, 11-02, 11-16.
OUTCOMES = [(10, 8), (10, 10), (8, 4), (5, 5), (6, 3)]
ENHANCED_SPRINTS = (1, 2)


def build_history(project: Project) -> list[Sprint]:
    sprints = add_closed_sprints(project, OUTCOMES)
    Sprint.objects.filter(pk__in=[sprints[i].pk for i in ENHANCED_SPRINTS]).update(
        decision_source=ENHANCED
    )
    return sprints


def group(sprints: int, rate: float | None, velocity: float | None) -> dict[str, object]:
    return {
        "sprints": sprints,
        "mean_completion_rate": pytest.approx(rate, abs=1e-4) if rate is not None else None,
        "mean_velocity": pytest.approx(velocity, abs=1e-4) if velocity is not None else None,
    }


@pytest.mark.django_db
def test_it_compares_the_two_kinds_of_sprint(api_client):
    sprints = build_history(make_project())
    assert [s.start_date for s in sprints] == [
        date(2026, 9, 21),
        date(2026, 10, 5),
        date(2026, 10, 19),
        date(2026, 11, 2),
        date(2026, 11, 16),
    ]

    response = api_client.get(URL.format("TEST-001"))

    assert response.status_code == 200, response.content
    body = response.json()
    # Enhanced: 10/10 and 4/8 -> rate (1 + 0.5) / 2 = 0.75, velocity (10 + 4) / 2 = 7.
    # Rule-based: 8/10, 5/5, 3/6 -> rate 2.3 / 3 = 0.7667, velocity 16 / 3 = 5.3333.
    assert body == {
        "project_id": "TEST-001",
        "start_date": None,
        "end_date": None,
        "intelligence_enhanced": group(2, 0.75, 7.0),
        "rule_based_only": group(3, 2.3 / 3, 16 / 3),
        "difference": {
            "completion_rate": pytest.approx(0.75 - 2.3 / 3, abs=1e-4),
            "velocity": pytest.approx(7.0 - 16 / 3, abs=1e-4),
        },
    }


@pytest.mark.django_db
def test_the_range_bounds_the_start_dates_inclusively(api_client):
    build_history(make_project())

    body = api_client.get(
        URL.format("TEST-001"), {"start_date": "2026-10-19", "end_date": "2026-11-02"}
    ).json()

    # Sprints 3 (enhanced, 4/8) and 4 (rule-based, 5/5).
    assert (body["start_date"], body["end_date"]) == ("2026-10-19", "2026-11-02")
    assert body["intelligence_enhanced"] == group(1, 0.5, 4.0)
    assert body["rule_based_only"] == group(1, 1.0, 5.0)
    assert body["difference"] == {"completion_rate": -0.5, "velocity": -1.0}


@pytest.mark.django_db
def test_an_empty_group_has_no_means_and_no_difference(api_client):
    build_history(make_project())

    body = api_client.get(URL.format("TEST-001"), {"start_date": "2026-11-02"}).json()

    # Sprints 4 (5/5) and 5 (3/6), both rule-based.
    assert body["intelligence_enhanced"] == group(0, None, None)
    assert body["rule_based_only"] == group(2, 0.75, 4.0)
    assert body["difference"] == {"completion_rate": None, "velocity": None}


@pytest.mark.django_db
def test_it_ignores_open_sprints_and_other_projects(api_client):
    project = make_project()
    build_history(project)
    build_history(make_project("OTHER"))
    Sprint.objects.create(
        sprint_id="TEST-001-S06",
        project=project,
        number=6,
        sprint_name="TEST-001-S06",
        start_date=date(2026, 11, 30),
        end_date=date(2026, 12, 13),
        duration_weeks=2,
        status=SprintStatus.IN_PROGRESS,
        decision_source=ENHANCED,
    )

    body = api_client.get(URL.format("TEST-001")).json()

    assert body["intelligence_enhanced"]["sprints"] == 2
    assert body["rule_based_only"]["sprints"] == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-01"}, "end_date"),
        ({"end_date": "2026-11-02T10:00:00"}, "end_date"),
        ({"start_date": "2026-11-02", "end_date": "2026-11-01"}, "end_date"),
        ({"start": "2026-11-02"}, "start"),
    ],
)
def test_it_rejects_bad_dates_naming_the_parameter(api_client, params, field):
    make_project()

    response = api_client.get(URL.format("TEST-001"), params)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_impact_answers_404_for_an_unknown_project(api_client):
    response = api_client.get(URL.format("NOPE"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_impact_requires_a_token():
    make_project()

    assert APIClient().get(URL.format("TEST-001")).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("history", [1, 20])
def test_impact_queries_do_not_grow_with_the_history(
    api_client, django_assert_num_queries, history
):
    add_closed_sprints(make_project(), [(5, 3)] * history)
    for i in range(history):
        add_closed_sprints(make_project(f"PEER-{i}"), [(5, 4)] * 2)

    # The token, the project and one aggregate.
    with django_assert_num_queries(3):
        assert api_client.get(URL.format("TEST-001")).status_code == 200


@pytest.mark.django_db
def test_sprints_without_tasks_stay_out_of_the_velocity(api_client):
    add_closed_sprints(make_project(), [(6, 6), (0, 0), (4, 2)])

    body = api_client.get(URL.format("TEST-001")).json()

    # 6/6 and 2/4 -> rate 0.75, velocity 4; the empty sprint counts nowhere.
    assert body["rule_based_only"] == group(2, 0.75, 4.0)
