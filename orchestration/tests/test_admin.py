from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin import ModelAdmin
from django.contrib.admin.sites import site
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from conftest import add_closed_sprints, add_tasks, make_project
from orchestration.engine.values import OrchestrationOptions
from orchestration.models import (
    PTO,
    ActionItemStatus,
    DailyScrumEntry,
    DailyScrumReport,
    DailyScrumSchedule,
    DecisionAudit,
    DecisionModeConfig,
    Employee,
    Holiday,
    IdempotentRequest,
    JobOutcome,
    PerftestBaseline,
    Project,
    RetrospectiveActionItem,
    Sprint,
    SprintRetrospective,
    Task,
)
from orchestration.services.orchestrate import orchestrate_project
from orchestration.services.registry import delete_project
from orchestration.services.sprint_controls import extend_sprint
from orchestration.tests.perftest_builders import store_run

INLINE_ONLY = {DailyScrumEntry, RetrospectiveActionItem}
READ_ONLY = {"sprint", "sprinttasksnapshot", "dailyscrumreport", "dailyscrumschedule"} | {
    "decisionaudit",
    "projecthistoryfeatures",
    "sprintcontrolaudit",
    "joboutcome",
    "idempotentrequest",
}


def seed_history() -> Project:
    """A project with closed sprints, an orchestration run (sprint, schedule, audit, run),
    a daily scrum report, holidays, PTO, a decision configuration and an action item."""
    project = make_project("TEST-001", team=3, backlog=12)
    sprints = add_closed_sprints(project, [(10, 8), (10, 10)])
    orchestrate_project(project_id="TEST-001", options=OrchestrationOptions())
    RetrospectiveActionItem.objects.create(
        retrospective=SprintRetrospective.objects.get(sprint=sprints[0]),
        description="Address 2 tasks that are still in progress.",
    )
    active = Sprint.objects.get(status="in_progress")
    report = DailyScrumReport.objects.create(
        project=project,
        sprint=active,
        report_date=date(2026, 11, 30),
        summary="All on track",
        metrics={"completed": 0, "in_progress": 10},
    )
    task = Task.objects.filter(sprint=active).first()
    assert task is not None
    DailyScrumEntry.objects.create(
        report=report,
        employee=task.assigned_to,
        task=task,
        yesterday_work="Design",
        today_work="Build",
    )
    Holiday.objects.create(date=date(2026, 12, 25), name="Christmas")
    # A deleted project leaves a removal row behind for the similarity caches.
    add_closed_sprints(make_project("GONE", team=1), [(2, 2)])
    delete_project(project_id="GONE")
    PTO.objects.create(
        employee=Employee.objects.get(pk="TEST-001-E1"),
        start_date=date(2026, 12, 1),
        end_date=date(2026, 12, 3),
    )
    DecisionModeConfig.objects.create(
        project=project,
        mode="rule_based_only",
        confidence_threshold=0.6,
        enable_task_count_adjustment=True,
        enable_sprint_duration_adjustment=False,
        min_similar_projects=3,
        max_task_adjustment_percent=40,
    )
    PerftestBaseline.objects.create(name="nightly", report={"phases": []})
    extend_sprint(sprint_id=active.pk, weeks=1, reason="holidays", requested_by="admin")
    store_run()
    JobOutcome.objects.create(
        job_id=1, task_name="orchestration.orchestrate_project", error="RuntimeError('boom')"
    )
    IdempotentRequest.objects.create(
        user=get_user_model().objects.create_user("client"),
        key="key-1",
        fingerprint="0" * 64,
        status_code=200,
        body={"run_id": 1},
    )
    return project


def orchestration_admins() -> list[tuple[type[Model], ModelAdmin[Any]]]:
    return [
        (model, model_admin)
        for model, model_admin in site._registry.items()
        if model._meta.app_label == "orchestration"
    ]


def admin_url(model, action: str, *args) -> str:
    return f"/admin/orchestration/{model._meta.model_name}/" + (
        f"{quote(args[0])}/{action}/" if args else ("" if action == "changelist" else f"{action}/")
    )


def test_every_orchestration_model_has_an_admin():
    registered = {model for model, _ in orchestration_admins()}
    models = set(apps.get_app_config("orchestration").get_models())

    assert registered == models - INLINE_ONLY


@pytest.mark.django_db
def test_every_changelist_and_change_page_renders_for_staff(admin_client):
    seed_history()

    for model, _ in orchestration_admins():
        changelist = admin_client.get(admin_url(model, "changelist"))
        assert changelist.status_code == 200, model
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"no {model.__name__} seeded"
        change = admin_client.get(admin_url(model, "change", obj.pk))
        assert change.status_code == 200, model
        assert str(obj.pk) in change.text or str(obj) in change.text


@pytest.mark.django_db
def test_users_who_are_not_staff_are_sent_to_the_login_page(client):
    project = make_project()
    user = get_user_model().objects.create_user("someone", password="pw-123456")
    client.force_login(user)

    for url in (admin_url(Project, "changelist"), admin_url(Project, "change", project.pk)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


@pytest.mark.django_db
def test_rows_orchestration_owns_cannot_be_added_changed_or_deleted(admin_client):
    seed_history()
    sprint = Sprint.objects.get(status="in_progress")

    for model, _ in orchestration_admins():
        if model._meta.model_name in READ_ONLY:
            assert admin_client.get(admin_url(model, "add")).status_code == 403, model
    response = admin_client.post(admin_url(Sprint, "change", sprint.pk), {"status": "completed"})
    deleted = admin_client.post(admin_url(Sprint, "delete", sprint.pk), {"post": "yes"})

    assert response.status_code == 403
    assert deleted.status_code == 403
    assert Sprint.objects.get(pk=sprint.pk).status == "in_progress"


@pytest.mark.django_db
def test_registration_data_can_be_added_in_the_admin(admin_client):
    response = admin_client.post(
        admin_url(Project, "add"),
        {
            "project_id": "NEW-1",
            "name": "New project",
            "codename": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    project = Project.objects.get(pk="NEW-1")
    assert project.status == "inactive"
    assert project.sprint_count == 0


@pytest.mark.django_db
def test_the_project_page_shows_its_team_and_links_to_its_history(admin_client):
    seed_history()

    response = admin_client.get(admin_url(Project, "change", "TEST-001"))

    assert response.status_code == 200
    assert "TEST-001-E1" in response.text
    assert 'href="/admin/orchestration/sprint/?project=TEST-001"' in response.text
    assert 'href="/admin/orchestration/task/?project=TEST-001"' in response.text
    assert 'href="/admin/perfmetrics/run/?project_id=TEST-001"' in response.text


@pytest.mark.django_db
def test_the_sprint_page_shows_its_tasks_snapshot_and_retrospective(admin_client):
    seed_history()

    response = admin_client.get(admin_url(Sprint, "change", "TEST-001-S01"))

    assert response.status_code == 200
    assert "TEST-001-S01-H000" in response.text  # a task of the snapshot
    assert "task snapshot taken when the sprint closed" in response.text.lower()
    assert "Action item [open]: Address 2 tasks that are still in progress." in response.text
    assert "80% complete" in response.text


@pytest.mark.django_db
def test_the_audit_page_pretty_prints_the_decisions(admin_client):
    seed_history()
    audit = DecisionAudit.objects.get()

    response = admin_client.get(admin_url(DecisionAudit, "change", audit.pk))

    assert response.status_code == 200
    assert re.search(r'<pre class="json">\{\n  &quot;', response.text)
    assert f'href="/admin/perfmetrics/run/{audit.run_id}/change/"' in response.text


@pytest.mark.django_db
def test_action_items_of_a_retrospective_can_be_marked_done(admin_client):
    seed_history()
    item = RetrospectiveActionItem.objects.get()
    retrospective = item.retrospective

    response = admin_client.post(
        admin_url(SprintRetrospective, "change", retrospective.pk),
        {
            "action_items-TOTAL_FORMS": "1",
            "action_items-INITIAL_FORMS": "1",
            "action_items-0-id": str(item.pk),
            "action_items-0-retrospective": str(retrospective.pk),
            "action_items-0-status": "done",
        },
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    retrospective.refresh_from_db()
    assert retrospective.what_went_well == "-"


@pytest.mark.django_db
def test_tasks_filter_by_project_and_search_by_exact_id(admin_client):
    seed_history()
    other = make_project("OTHER-1", team=1)
    add_tasks(other, 2)

    by_project = admin_client.get(admin_url(Task, "changelist"), {"project": "OTHER-1"})
    by_id = admin_client.get(admin_url(Task, "changelist"), {"q": "OTHER-1-TASK002"})

    shown = set(re.findall(r"/admin/orchestration/task/([\w-]+)/change/", by_project.text))
    assert shown == {"OTHER-1-TASK001", "OTHER-1-TASK002"}
    assert set(re.findall(r"/admin/orchestration/task/([\w-]+)/change/", by_id.text)) == {
        "OTHER-1-TASK002"
    }


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Task, Sprint, DecisionAudit, Project])
def test_changelist_query_counts_do_not_grow_with_the_rows(
    admin_client, django_assert_max_num_queries, model
):
    seed_history()
    with CaptureQueriesContext(connection) as baseline:
        admin_client.get(admin_url(model, "changelist"))
    for i in range(2, 6):
        project = make_project(f"MORE-{i}", team=2, backlog=5)
        add_closed_sprints(project, [(4, 3)])
        orchestrate_project(project_id=project.pk, options=OrchestrationOptions())

    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.django_db
def test_large_changelists_only_count_a_bounded_number_of_rows(admin_client):
    seed_history()

    with CaptureQueriesContext(connection) as queries:
        admin_client.get(admin_url(Task, "changelist"))

    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts
    assert all("LIMIT 10001" in sql for sql in counts)


@pytest.mark.django_db
def test_a_failed_job_shows_its_error_and_schedules_show_their_next_and_last_run(admin_client):
    seed_history()

    outcome = admin_client.get(admin_url(JobOutcome, "change", 1))
    schedules = admin_client.get(admin_url(DailyScrumSchedule, "changelist"))
    jobs = admin_client.get("/admin/procrastinate/procrastinatejob/")

    assert "RuntimeError(&#x27;boom&#x27;)" in outcome.text
    assert "next run" in schedules.text.lower()
    assert "last run at" in schedules.text.lower()
    assert jobs.status_code == 200
