"""The sprint actually opened: its availability window, capacity and intelligence limits
(docs/design.md §3.2 "Availability", §3.3 "Capacity", §3.4 "Throughput")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from conftest import add_closed_sprints, make_project
from orchestration.engine.availability import team_capacity
from orchestration.engine.values import Absence, Calendar, HolidayDay
from orchestration.models import PTO, Holiday, Project, Sprint, SprintStatus, Task

URL = "/orchestrate/project/{}"
# Ten sprints whose velocity decreases (confidence 0.55) and whose best size is 6 tasks.
DECLINING = [(10, 9), (10, 9), (6, 6), (10, 8), (6, 6), (10, 7), (6, 6), (6, 5), (6, 5), (6, 5)]


def orchestrate(client, project_id="TEST-001", **options):
    body = {"action": "analyze_and_orchestrate", "options": options}
    return client.post(URL.format(project_id), body, format="json")


def away(employee_id: str, start: date, end: date) -> None:
    PTO.objects.create(employee_id=employee_id, start_date=start, end_date=end)


def declining_project_with_peers(*, peers: int = 4) -> None:
    add_closed_sprints(make_project(backlog=30), DECLINING)
    for i in range(peers):
        add_closed_sprints(make_project(f"PEER-{i}", team=3), DECLINING)


# --- item 7: the window is the sprint actually opened ---------------------------------------


@pytest.mark.django_db
def test_a_holiday_in_the_week_intelligence_adds_is_reported(api_client):
    declining_project_with_peers(peers=0)
    today = timezone.localdate()
    Holiday.objects.create(date=today + timedelta(days=17), name="In the third week")

    body = orchestrate(api_client).json()

    assert body["decisions"]["sprint_duration_weeks"] == 3
    conflicts = body["analysis"]["team_availability"]["conflicts"]
    assert [c["name"] for c in conflicts] == ["In the third week"]


@pytest.mark.django_db
def test_a_holiday_on_the_first_day_of_the_next_sprint_is_not_reported(api_client):
    make_project(backlog=5)
    today = timezone.localdate()
    Holiday.objects.create(date=today + timedelta(days=14), name="Next sprint's first day")
    Holiday.objects.create(date=today + timedelta(days=13), name="Last day")

    body = orchestrate(api_client).json()

    sprint = Sprint.objects.get()
    assert sprint.end_date == today + timedelta(days=13)
    conflicts = body["analysis"]["team_availability"]["conflicts"]
    assert [c["name"] for c in conflicts] == ["Last day"]


@pytest.mark.django_db
def test_with_a_sprint_running_conflicts_cover_its_remaining_days(api_client):
    make_project(backlog=5)
    orchestrate(api_client)
    today = timezone.localdate()
    Sprint.objects.update(start_date=today - timedelta(days=8), end_date=today + timedelta(days=5))
    Holiday.objects.create(date=today + timedelta(days=3), name="Inside")
    Holiday.objects.create(date=today + timedelta(days=10), name="After it ends")
    away("TEST-001-E1", today - timedelta(days=8), today - timedelta(days=1))

    body = orchestrate(api_client).json()

    conflicts = body["analysis"]["team_availability"]["conflicts"]
    assert [c["name"] for c in conflicts] == ["Inside"]
    assert body["decisions"]["create_new_sprint"] is False


# --- item 10: capacity-aware planning --------------------------------------------------------


@pytest.mark.django_db
def test_capacity_scales_the_tasks_of_the_sprint(api_client):
    make_project(team=2, backlog=20)
    today = timezone.localdate()
    # Any 14 days hold 10 weekdays, any 7 days 5: E2 is away half the sprint.
    away("TEST-001-E2", today, today + timedelta(days=6))

    body = orchestrate(api_client, max_tasks_per_sprint=8).json()

    assert body["analysis"]["team_availability"]["capacity"] == 0.75
    assert body["decisions"]["tasks_to_assign"] == 6
    assert body["decisions"]["rule_based_decision"]["tasks_to_assign"] == 6
    assert "capacity 75%" in body["decisions"]["reasoning"]
    assert Task.objects.exclude(sprint=None).count() == 6


@pytest.mark.django_db
def test_capacity_planning_false_keeps_the_rule_count(api_client):
    make_project(team=2, backlog=20)
    today = timezone.localdate()
    away("TEST-001-E2", today, today + timedelta(days=6))

    body = orchestrate(api_client, max_tasks_per_sprint=8, capacity_planning=False).json()

    assert body["decisions"]["tasks_to_assign"] == 8
    assert body["analysis"]["team_availability"]["capacity"] == 0.75


@pytest.mark.django_db
def test_a_team_away_for_the_whole_sprint_gets_no_sprint(api_client):
    make_project(team=2, backlog=5)
    today = timezone.localdate()
    for member in ("TEST-001-E1", "TEST-001-E2"):
        away(member, today - timedelta(days=1), today + timedelta(days=20))

    body = orchestrate(api_client).json()

    assert body["decisions"]["create_new_sprint"] is False
    assert "nobody on the team is available" in body["decisions"]["reasoning"]
    assert body["analysis"]["team_availability"]["capacity"] == 0.0
    assert not Sprint.objects.exists()


def test_weekends_are_not_working_days_and_holidays_count_for_everyone():
    monday = date(2026, 11, 30)
    calendar = Calendar(
        holidays=(HolidayDay(monday + timedelta(days=2), "Mid-week", "Public holiday"),),
        absences=(
            Absence("B", "Bea", monday + timedelta(days=5), monday + timedelta(days=6), "weekend"),
            Absence("C", "Cy", monday, monday + timedelta(days=1), "two days"),
        ),
    )

    capacity = team_capacity(calendar, ["A", "B", "C"], start=monday, end=monday + timedelta(6))

    # 4 working days (Mon-Fri minus Wednesday): A 4, B 4 (away on the weekend), C 2.
    assert capacity == pytest.approx(10 / 12)


# --- item 8: intelligence may raise the count, and throughput stays bounded -----------------


@pytest.mark.django_db
def test_both_adjustments_keep_the_planned_throughput_within_the_limit(api_client):
    declining_project_with_peers()

    body = orchestrate(api_client).json()

    decisions = body["decisions"]
    adjustments = decisions["intelligence_adjustments"]
    assert adjustments["task_count_modification"]["intelligence_recommendation"] == 6
    assert adjustments["sprint_duration_modification"]["applied_value"] == 3
    # 10 tasks in 2 weeks is 5 a week; 50% less is 2.5 a week, so 3 weeks need 8 tasks.
    assert decisions["sprint_duration_weeks"] == 3
    assert decisions["tasks_to_assign"] == 8
    assert adjustments["task_count_modification"]["applied_value"] == 8
    assert "Throughput kept within 50%" in decisions["reasoning"]
    assert Sprint.objects.get(status=SprintStatus.IN_PROGRESS).tasks.count() == 8


@pytest.mark.django_db
def test_intelligence_may_raise_a_capacity_scaled_count_up_to_the_cap(api_client):
    for i in range(4):
        add_closed_sprints(make_project(f"PEER-{i}", team=3), [(6, 6)] * 6)
    add_closed_sprints(make_project(backlog=30), [(6, 6)] * 6)
    today = timezone.localdate()
    for member in ("TEST-001-E2", "TEST-001-E3"):
        away(member, today - timedelta(days=1), today + timedelta(days=30))

    body = orchestrate(api_client, max_tasks_per_sprint=10).json()

    decisions = body["decisions"]
    # Capacity 1/3 scales 10 to 4; similar projects do best with 6.
    assert decisions["rule_based_decision"]["tasks_to_assign"] == 4
    assert decisions["intelligence_adjustments"]["task_count_modification"]["applied"] is True
    assert decisions["tasks_to_assign"] == 6
    opened = Task.objects.filter(sprint__status=SprintStatus.IN_PROGRESS)
    assert set(opened.values_list("assigned_to_id", flat=True)) == {"TEST-001-E1"}
    assert Project.objects.get(pk="TEST-001").sprint_count == 7
