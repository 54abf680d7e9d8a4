from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from conftest import add_closed_sprints, add_tasks, make_project
from orchestration.models import (
    PTO,
    DailyScrumSchedule,
    DecisionAudit,
    DecisionModeConfig,
    Holiday,
    Project,
    ProjectStatus,
    RetrospectiveActionItem,
    Sprint,
    SprintStatus,
    SprintTaskSnapshot,
    Task,
    TaskStatus,
)
from perfmetrics.models import Component, Run

URL = "/orchestrate/project/{}"
pytestmark = pytest.mark.django_db


def orchestrate(client, project_id="TEST-001", **options):
    body = {"action": "analyze_and_orchestrate", "options": options}
    return client.post(URL.format(project_id), body, format="json")


def domain_rows() -> dict[str, int]:
    return {
        "sprints": Sprint.objects.count(),
        "assigned": Task.objects.exclude(sprint=None).count(),
        "schedules": DailyScrumSchedule.objects.filter(is_active=True).count(),
        "snapshots": SprintTaskSnapshot.objects.count(),
    }


def test_it_opens_the_first_sprint_and_assigns_the_oldest_tasks_round_robin(api_client):
    make_project(backlog=15)

    response = orchestrate(api_client)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decisions"]["create_new_sprint"] is True
    assert body["decisions"]["tasks_to_assign"] == 10
    assert body["decisions"]["sprint_name"] == "TEST-001-S01"
    assert body["sprint_id"] == "TEST-001-S01"
    assert body["cronjob_name"] == "run-dailyscrum-test-001-test-001-s01-c4fb9a5df00c"
    sprint = Sprint.objects.get()
    assert (sprint.sprint_id, sprint.status, sprint.duration_weeks) == (
        "TEST-001-S01",
        SprintStatus.IN_PROGRESS,
        2,
    )
    assert sprint.end_date - sprint.start_date == timedelta(days=13)
    assigned = list(Task.objects.filter(sprint=sprint).order_by("task_id"))
    assert [t.task_id for t in assigned] == [f"TEST-001-TASK{i:03d}" for i in range(1, 11)]
    assert {t.status for t in assigned} == {TaskStatus.ASSIGNED_TO_SPRINT}
    assert [t.assigned_to_id for t in assigned[:4]] == [
        "TEST-001-E1",
        "TEST-001-E2",
        "TEST-001-E3",
        "TEST-001-E1",
    ]
    assert Project.objects.get().status == ProjectStatus.IN_PROGRESS
    assert DailyScrumSchedule.objects.get().cron_schedule == "0 14 * * 1-5"
    assert DecisionAudit.objects.get().run_id == body["run_id"]
    assert Run.objects.get().pk == body["run_id"]


def test_projects_whose_ids_sanitise_alike_keep_their_own_schedules(api_client):
    projects = ("COLL-1", "coll-1", "coll_1")
    for project_id in projects:
        make_project(project_id, backlog=2)

    first = {p: orchestrate(api_client, project_id=p).json()["cronjob_name"] for p in projects}
    # Missing schedules are re-created (a deactivated one stays off, docs/design.md §3.3).
    DailyScrumSchedule.objects.all().delete()
    healed = {p: orchestrate(api_client, project_id=p).json()["cronjob_name"] for p in projects}

    assert len(set(first.values())) == 3
    assert healed == first
    for project_id in projects:
        schedule = DailyScrumSchedule.objects.get(project_id=project_id)
        assert schedule.sprint_id == f"{project_id}-S01"
        assert schedule.name == first[project_id]
        assert schedule.is_active


def test_tasks_keep_their_assignee(api_client):
    project = make_project(backlog=2)
    Task.objects.filter(task_id="TEST-001-TASK001").update(assigned_to_id="TEST-001-E3")

    orchestrate(api_client)

    assert Task.objects.get(task_id="TEST-001-TASK001").assigned_to_id == "TEST-001-E3"
    assert Task.objects.get(task_id="TEST-001-TASK002").assigned_to_id == "TEST-001-E1"
    assert project.tasks.filter(sprint__isnull=False).count() == 2


def test_the_response_carries_every_contract_key(api_client):
    make_project(backlog=3)

    body = orchestrate(api_client).json()

    assert {
        "project_id",
        "run_id",
        "dry_run",
        "analysis",
        "decisions",
        "actions_taken",
        "cronjob_name",
        "sprint_id",
        "performance_metrics",
    } <= body.keys()
    analysis = body["analysis"]
    assert {
        "backlog_tasks",
        "unassigned_tasks",
        "active_sprints",
        "team_size",
        "team_availability",
        "historical_context",
    } <= analysis.keys()
    assert {"pattern_analysis", "insights_summary", "data_quality_report"} <= (
        analysis["historical_context"].keys()
    )
    assert {"similar_projects", "velocity_trends", "success_indicators"} <= (
        analysis["historical_context"]["pattern_analysis"].keys()
    )
    decisions = body["decisions"]
    assert {
        "create_new_sprint",
        "tasks_to_assign",
        "sprint_duration_weeks",
        "cronjob_created",
        "sprint_closure_triggered",
        "sprint_id_to_close",
        "sprint_name",
        "reasoning",
        "warnings",
        "decision_source",
        "rule_based_decision",
        "intelligence_adjustments",
        "confidence_scores",
    } <= decisions.keys()
    metrics = body["performance_metrics"]
    assert {
        "pattern_analysis",
        "total_orchestration",
        "resource_usage",
        "performance_threshold_met",
    } <= metrics.keys()
    assert {
        "total_calls",
        "successful_calls",
        "success_rate",
        "avg_duration_ms",
        "min_duration_ms",
        "max_duration_ms",
        "p50_duration_ms",
        "p95_duration_ms",
        "p99_duration_ms",
    } <= metrics["total_orchestration"].keys()
    assert {
        "memory_usage_mb",
        "memory_increase_mb",
        "cpu_time_ms",
        "db_queries",
        "db_time_ms",
    } <= metrics["resource_usage"].keys()
    assert {
        "total_under_2000ms",
        "pattern_analysis_under_1000ms",
        "memory_increase_under_100mb",
        "thresholds_met",
    } <= (metrics["performance_threshold_met"].keys())


def test_a_completed_sprint_closes_and_the_next_opens_in_the_same_call(api_client):
    project = make_project(backlog=12)
    orchestrate(api_client)
    Task.objects.filter(sprint_id="TEST-001-S01").update(
        progress_percentage=100, status=TaskStatus.COMPLETED
    )

    body = orchestrate(api_client).json()

    assert body["decisions"]["sprint_closure_triggered"] is True
    assert body["decisions"]["sprint_id_to_close"] == "TEST-001-S01"
    assert body["decisions"]["create_new_sprint"] is True
    assert body["sprint_id"] == "TEST-001-S02"
    first = Sprint.objects.get(pk="TEST-001-S01")
    assert (first.status, first.task_count, first.completed_count) == (
        SprintStatus.COMPLETED,
        10,
        10,
    )
    assert first.closed_at is not None
    assert Task.objects.filter(sprint=first).count() == 10
    assert Sprint.objects.get(pk="TEST-001-S02").tasks.count() == 2
    assert first.retrospective.completion_rate == 1.0
    schedules = {s.name: s.is_active for s in DailyScrumSchedule.objects.all()}
    assert schedules == {
        "run-dailyscrum-test-001-test-001-s01-c4fb9a5df00c": False,
        "run-dailyscrum-test-001-test-001-s02-bbab65772a14": True,
    }
    assert project.history_features.closed_sprints == 1


def test_an_overdue_sprint_returns_its_pending_tasks_to_the_backlog_with_progress(api_client):
    make_project(backlog=4)
    orchestrate(api_client, max_tasks_per_sprint=3)
    Task.objects.filter(task_id="TEST-001-TASK001").update(
        progress_percentage=100, status="completed"
    )
    Task.objects.filter(task_id="TEST-001-TASK002").update(
        progress_percentage=60, status="in_progress"
    )
    today = timezone.localdate()
    Sprint.objects.filter(pk="TEST-001-S01").update(
        start_date=today - timedelta(days=14), end_date=today - timedelta(days=1)
    )

    body = orchestrate(api_client, create_sprint_if_needed=False).json()

    sprint = Sprint.objects.get(pk="TEST-001-S01")
    assert sprint.status == SprintStatus.CLOSED_WITH_PENDING_TASKS
    returned = Task.objects.get(task_id="TEST-001-TASK002")
    assert (returned.status, returned.sprint_id, returned.progress_percentage) == (
        TaskStatus.UNASSIGNED,
        None,
        60,
    )
    assert Task.objects.get(task_id="TEST-001-TASK001").sprint_id == "TEST-001-S01"
    snapshot = {
        s.task_id: (s.progress_percentage, s.completed) for s in sprint.task_snapshots.all()
    }
    assert snapshot == {
        "TEST-001-TASK001": (100, True),
        "TEST-001-TASK002": (60, False),
        "TEST-001-TASK003": (0, False),
    }
    items = set(RetrospectiveActionItem.objects.values_list("description", flat=True))
    assert "Address 1 tasks that are still in progress." in items
    assert "Re-plan 1 tasks that were never started." in items
    assert body["decisions"]["create_new_sprint"] is False


def test_a_carried_over_task_with_progress_is_in_progress_in_the_next_sprint(api_client):
    make_project(backlog=2)
    orchestrate(api_client)
    Task.objects.filter(task_id="TEST-001-TASK001").update(progress_percentage=86)
    yesterday = timezone.localdate() - timedelta(days=1)
    Sprint.objects.update(start_date=yesterday - timedelta(days=13), end_date=yesterday)

    orchestrate(api_client)

    carried = Task.objects.get(task_id="TEST-001-TASK001")
    fresh = Task.objects.get(task_id="TEST-001-TASK002")
    assert carried.sprint_id == fresh.sprint_id == "TEST-001-S02"
    assert carried.status == TaskStatus.IN_PROGRESS
    assert fresh.status == TaskStatus.ASSIGNED_TO_SPRINT


def test_an_open_sprint_whose_schedule_is_missing_gets_it_back(api_client):
    make_project(backlog=5)
    orchestrate(api_client)
    DailyScrumSchedule.objects.all().delete()

    body = orchestrate(api_client).json()

    schedule = DailyScrumSchedule.objects.get()
    assert schedule.is_active
    assert schedule.deactivated_at is None
    assert body["decisions"]["cronjob_created"] is True
    assert body["cronjob_name"] == schedule.name
    assert Sprint.objects.count() == 1


def test_a_dry_run_changes_no_domain_row_but_is_recorded_and_flagged(api_client):
    make_project(backlog=15)
    before = domain_rows()

    response = orchestrate(api_client, dry_run=True)

    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True
    assert body["decisions"]["create_new_sprint"] is True
    assert all(a.startswith("[dry run] would") for a in body["actions_taken"])
    assert domain_rows() == before
    assert Project.objects.get().sprint_count == 0
    run = Run.objects.get()
    assert run.dry_run
    assert run.success
    assert DecisionAudit.objects.count() == 0


def test_a_dry_run_reports_the_audit_it_would_write_and_stores_none(api_client):
    make_project(backlog=15)

    body = orchestrate(api_client, dry_run=True).json()

    assert DecisionAudit.objects.count() == 0
    audit = body["decision_audit"]
    assert audit["id"] is None
    assert audit["dry_run"] is True
    assert audit["run_id"] == body["run_id"]
    assert audit["final_decision"]["tasks_to_assign"] == 10
    assert audit["reasoning"] == body["decisions"]["reasoning"]
    assert audit["sprint_opened"] is None


def test_a_real_run_reports_the_audit_it_stored(api_client):
    make_project(backlog=3)

    body = orchestrate(api_client).json()

    stored = DecisionAudit.objects.get()
    assert body["decision_audit"]["id"] == stored.pk
    assert body["decision_audit"]["dry_run"] is False
    assert body["decision_audit"]["sprint_opened"] == "TEST-001-S01" == stored.sprint_opened_id
    assert body["decision_audit"]["final_decision"] == stored.final_decision


def test_assign_tasks_false_opens_no_empty_sprint(api_client):
    make_project(backlog=5)

    body = orchestrate(api_client, assign_tasks=False).json()

    assert body["decisions"]["create_new_sprint"] is False
    assert "a sprint without tasks is not opened" in body["decisions"]["reasoning"]
    assert body["sprint_id"] is None
    assert domain_rows() == {"sprints": 0, "assigned": 0, "schedules": 0, "snapshots": 0}


def test_sprints_without_tasks_stay_out_of_features_velocity_and_similarity(api_client):
    project = make_project(backlog=3)
    add_closed_sprints(project, [(4, 4), (0, 0), (6, 6), (0, 0)])

    features = Project.objects.get().history_features
    velocity = api_client.get(f"/orchestrate/intelligence/patterns/velocity-trends/{project.pk}")

    assert features.closed_sprints == 2
    assert features.mean_velocity == 5.0
    assert features.mean_tasks_per_sprint == 5.0
    assert velocity.status_code == 200, velocity.content
    assert velocity.json()["velocity_trends"]["sprints_analyzed"] == 2


def test_a_project_whose_closed_sprints_held_no_tasks_has_no_features(api_client):
    add_closed_sprints(make_project(backlog=3), [(0, 0), (0, 0)])

    assert not hasattr(Project.objects.get(), "history_features")


def test_a_custom_schedule_and_duration_are_used(api_client):
    make_project(backlog=5)

    orchestrate(api_client, schedule="30 9 * * 1-5", sprint_duration_weeks=3, create_cronjob=True)

    assert DailyScrumSchedule.objects.get().cron_schedule == "30 9 * * 1-5"
    assert Sprint.objects.get().duration_weeks == 3


def test_no_schedule_is_created_when_create_cronjob_is_false(api_client):
    make_project(backlog=5)

    body = orchestrate(api_client, create_cronjob=False).json()

    assert DailyScrumSchedule.objects.count() == 0
    assert body["cronjob_name"] is None
    assert body["decisions"]["cronjob_created"] is False


def test_holidays_and_pto_in_the_window_are_warnings(api_client):
    make_project(backlog=5)
    today = timezone.localdate()
    Holiday.objects.create(date=today + timedelta(days=3), name="Founders Day")
    Holiday.objects.create(date=today + timedelta(days=40), name="Too late")
    PTO.objects.create(
        employee_id="TEST-001-E2",
        start_date=today - timedelta(days=2),
        end_date=today + timedelta(days=1),
        reason="trip",
    )

    body = orchestrate(api_client).json()

    availability = body["analysis"]["team_availability"]
    assert availability["status"] == "conflicts_detected"
    assert [(c["type"], c["date"]) for c in availability["conflicts"]] == [
        ("pto", today.isoformat()),
        ("holiday", (today + timedelta(days=3)).isoformat()),
    ]
    assert len(body["decisions"]["warnings"]) == 2
    assert Sprint.objects.count() == 1


def test_intelligence_really_changes_the_sprint_that_is_opened(api_client):
    make_project(backlog=30)
    for i in range(4):
        peer = make_project(f"PEER-{i}", team=3)
        add_closed_sprints(peer, [(6, 6)] * 6)
    add_closed_sprints(Project.objects.get(pk="TEST-001"), [(6, 6)] * 6)

    body = orchestrate(api_client, max_tasks_per_sprint=10).json()

    modification = body["decisions"]["intelligence_adjustments"]["task_count_modification"]
    assert modification["original_recommendation"] == 10
    assert modification["intelligence_recommendation"] == 6
    assert modification["applied"] is True
    assert body["decisions"]["decision_source"] == "intelligence_enhanced"
    assert body["decisions"]["rule_based_decision"]["tasks_to_assign"] == 10
    assert body["decisions"]["tasks_to_assign"] == 6
    opened = Sprint.objects.get(status=SprintStatus.IN_PROGRESS)
    assert opened.tasks.count() == 6
    assert opened.decision_source == "intelligence_enhanced"
    audit = DecisionAudit.objects.get()
    assert audit.applied_adjustments[0]["applied_value"] == 6
    assert audit.sprint_opened_id == opened.pk


def test_rule_based_only_mode_computes_the_proposal_but_opens_the_rule_sprint(api_client):
    project = make_project(backlog=30)
    for i in range(4):
        add_closed_sprints(make_project(f"PEER-{i}", team=3), [(6, 6)] * 6)
    add_closed_sprints(project, [(6, 6)] * 6)
    DecisionModeConfig.objects.create(
        project=project,
        mode="rule_based_only",
        confidence_threshold=0.5,
        enable_task_count_adjustment=True,
        enable_sprint_duration_adjustment=True,
        min_similar_projects=3,
        max_task_adjustment_percent=50,
    )

    body = orchestrate(api_client).json()

    assert (
        body["decisions"]["intelligence_adjustments"]["task_count_modification"]["applied"] is False
    )
    assert body["decisions"]["decision_source"] == "rule_based_only"
    assert Sprint.objects.get(status=SprintStatus.IN_PROGRESS).tasks.count() == 10
    assert DecisionAudit.objects.get().proposed_adjustments[0]["proposed"] == 6


def test_the_baseline_records_no_pattern_components(api_client):
    make_project(backlog=5)

    body = orchestrate(api_client, enable_pattern_recognition=False).json()

    names = set(Component.objects.values_list("name", flat=True))
    assert names == {"project_analysis", "decision_making", "confidence_gating", "action_execution"}
    assert body["analysis"]["historical_context"]["pattern_analysis"] is None
    assert body["decisions"]["confidence_scores"]["overall_decision_confidence"] is None


def test_pattern_recognition_records_its_named_components(api_client):
    make_project(backlog=5)

    orchestrate(api_client)

    parents = dict(Component.objects.values_list("name", "parent"))
    assert parents == {
        "project_analysis": "",
        "full_pattern_analysis": "",
        "similarity_analysis": "full_pattern_analysis",
        "velocity_analysis": "full_pattern_analysis",
        "success_pattern_detection": "full_pattern_analysis",
        "insights_generation": "full_pattern_analysis",
        "decision_making": "",
        "confidence_gating": "decision_making",
        "action_execution": "",
    }


def test_a_failing_pattern_analysis_degrades_to_the_rule_decision(api_client):
    add_closed_sprints(make_project(backlog=5), [(5, 5)] * 3)

    with mock.patch(
        "orchestration.services.patterns.FLEET.similar_to",
        side_effect=ZeroDivisionError("boom"),
    ):
        response = orchestrate(api_client)

    assert response.status_code == 200
    body = response.json()
    assert any("Pattern analysis failed" in w for w in body["decisions"]["warnings"])
    assert body["decisions"]["decision_source"] == "rule_based_only"
    assert body["analysis"]["historical_context"]["pattern_analysis"] is None
    assert Sprint.objects.filter(status=SprintStatus.IN_PROGRESS).count() == 1
    assert Run.objects.get().success


@pytest.mark.parametrize(
    "error", [AttributeError("no such thing"), RuntimeError("boom"), NotImplementedError("later")]
)
def test_any_failure_inside_pattern_analysis_degrades_logs_and_records_the_component(
    api_client, caplog, error
):
    add_closed_sprints(make_project(backlog=5), [(5, 5)] * 3)

    with mock.patch("orchestration.services.patterns.FLEET.similar_to", side_effect=error):
        response = orchestrate(api_client)

    assert response.status_code == 200, response.content
    name = type(error).__name__
    assert (
        f"Pattern analysis failed ({name}); using the rule decision"
        in (response.json()["decisions"]["warnings"])
    )
    assert Sprint.objects.filter(status=SprintStatus.IN_PROGRESS).count() == 1
    failed = Component.objects.get(name="full_pattern_analysis")
    assert not failed.success
    assert name in failed.error
    assert Run.objects.get().success
    (record,) = [r for r in caplog.records if "pattern analysis failed" in r.getMessage()]
    assert record.exc_info is not None
    assert record.exc_info[0] is type(error)


def test_an_unexpected_failure_rolls_everything_back_and_records_the_failed_run(api_client):
    make_project(backlog=5)
    api_client.raise_request_exception = False

    with mock.patch(
        "orchestration.services.sprints._assign_tasks", side_effect=RuntimeError("disk on fire")
    ):
        response = orchestrate(api_client)

    assert response.status_code == 500
    assert domain_rows() == {"sprints": 0, "assigned": 0, "schedules": 0, "snapshots": 0}
    assert DecisionAudit.objects.count() == 0
    run = Run.objects.get()
    assert not run.success
    assert "disk on fire" in run.error
    failed = Component.objects.get(name="action_execution")
    assert not failed.success
    assert "RuntimeError" in failed.error


def test_an_unknown_project_is_404_and_records_nothing(api_client):
    response = orchestrate(api_client, project_id="NOPE")

    assert response.status_code == 404
    assert response.json()["detail"] == "Project 'NOPE' does not exist."
    assert Run.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "do_everything"}, "action"),
        ({}, "action"),
        ({"action": "analyze_and_orchestrate", "extra": 1}, "extra"),
        ({"action": "analyze_and_orchestrate", "options": {"dry_run": "yes"}}, "options"),
        ({"action": "analyze_and_orchestrate", "options": {"sprint_duration_weeks": 9}}, "options"),
        ({"action": "analyze_and_orchestrate", "options": {"sprint_duration_weeks": 0}}, "options"),
        (
            {"action": "analyze_and_orchestrate", "options": {"sprint_duration_weeks": "2"}},
            "options",
        ),
        (
            {"action": "analyze_and_orchestrate", "options": {"max_tasks_per_sprint": 101}},
            "options",
        ),
        (
            {"action": "analyze_and_orchestrate", "options": {"max_tasks_per_sprint": 2.5}},
            "options",
        ),
        ({"action": "analyze_and_orchestrate", "options": {"schedule": "61 * * * *"}}, "options"),
        ({"action": "analyze_and_orchestrate", "options": {"schedule": 5}}, "options"),
        ({"action": "analyze_and_orchestrate", "options": {"colour": "red"}}, "options"),
        ({"action": "analyze_and_orchestrate", "options": []}, "options"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api_client, body, field):
    make_project(backlog=5)

    response = api_client.post(URL.format("TEST-001"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert domain_rows() == {"sprints": 0, "assigned": 0, "schedules": 0, "snapshots": 0}
    assert Run.objects.count() == 0


@pytest.mark.parametrize(
    "schedule", ["0 \u00b2 * * *", "\u0663 14 * * *", "0 14 * * \u0661-\u0665"]
)
def test_a_cron_with_non_ascii_digits_is_a_400_and_nothing_is_stored(api_client, schedule):
    make_project(backlog=3)

    response = orchestrate(api_client, schedule=schedule)

    assert response.status_code == 400, response.content
    assert "schedule" in response.json()["options"]
    assert domain_rows() == {"sprints": 0, "assigned": 0, "schedules": 0, "snapshots": 0}
    assert Run.objects.count() == 0


def test_the_bad_cron_message_says_what_is_wrong(api_client):
    make_project(backlog=5)

    body = orchestrate(api_client, schedule="0 25 * * *").json()

    assert body["options"]["schedule"] == ["Invalid cron expression: hour: 25 is outside 0-23."]


def test_malformed_json_and_non_objects_are_400(api_client):
    make_project(backlog=5)

    malformed = api_client.post(URL.format("TEST-001"), "{nope", content_type="application/json")
    listed = api_client.post(URL.format("TEST-001"), "[]", content_type="application/json")

    assert malformed.status_code == 400
    assert "JSON parse error" in malformed.json()["detail"]
    assert listed.status_code == 400
    assert Sprint.objects.count() == 0


def test_it_requires_a_token(client):
    assert (
        client.post(URL.format("TEST-001"), {}, content_type="application/json").status_code == 401
    )


def test_a_new_project_is_marked_in_progress_only_when_its_first_sprint_opens(api_client):
    make_project(backlog=0)

    orchestrate(api_client)
    assert Project.objects.get().status == ProjectStatus.INACTIVE

    add_tasks(Project.objects.get(), 2)
    orchestrate(api_client)
    assert Project.objects.get().status == ProjectStatus.IN_PROGRESS


def test_sprint_numbers_keep_counting_past_99(api_client):
    project = make_project(backlog=1)
    Project.objects.filter(pk=project.pk).update(sprint_count=99)

    assert orchestrate(api_client).json()["sprint_id"] == "TEST-001-S100"
    assert Sprint.objects.get().number == 100


def test_the_response_verdict_and_the_stored_breached_flag_are_one_judgement(api_client, settings):
    make_project(backlog=5)
    add_closed_sprints(make_project("PEER-1"), [(5, 5)] * 3)
    # A target no pattern analysis can meet: the run breaches through that component only.
    settings.PERFMETRICS = {**settings.PERFMETRICS, "COMPONENT_MS": {"full_pattern_analysis": 1e-9}}

    body = orchestrate(api_client, dry_run=True).json()

    verdict = body["performance_metrics"]["performance_threshold_met"]
    assert verdict["pattern_analysis_under_1000ms"] is False
    assert verdict["total_under_2000ms"] is True
    assert verdict["thresholds_met"] is False
    assert verdict["targets"]["pattern_analysis_ms"] == 1e-9
    assert Run.objects.get(pk=body["run_id"]).breached is True


def test_a_threshold_added_in_settings_alone_decides_the_verdict(api_client, settings):
    make_project(backlog=5)
    settings.PERFMETRICS = {
        **settings.PERFMETRICS,
        "COMPONENT_MS": {**settings.PERFMETRICS["COMPONENT_MS"], "action_execution": 1e-9},
    }

    body = orchestrate(api_client, dry_run=True).json()

    verdict = body["performance_metrics"]["performance_threshold_met"]
    assert verdict["total_under_2000ms"] is True
    assert verdict["pattern_analysis_under_1000ms"] is True
    assert verdict["thresholds_met"] is False
    assert Run.objects.get(pk=body["run_id"]).breached is True


def test_the_performance_metrics_summaries_speak_the_metrics_endpoints_vocabulary(api_client):
    make_project(backlog=5)
    add_closed_sprints(make_project("PEER-1"), [(5, 5)] * 3)
    orchestrate(api_client, dry_run=True)

    body = orchestrate(api_client, dry_run=True).json()
    metrics = api_client.get("/orchestrate/intelligence/performance/metrics/TEST-001").json()

    summary = body["performance_metrics"]["pattern_analysis"]
    assert summary["total_calls"] == 2
    assert summary.keys() == metrics["component_metrics"]["full_pattern_analysis"].keys()
    assert (
        body["performance_metrics"]["total_orchestration"].keys()
        == metrics["component_metrics"]["total_orchestration"].keys()
    )
