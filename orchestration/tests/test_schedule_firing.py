"""Which schedules are due, and what firing one does (in process; workers: test_workers.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conftest import make_project, start_sprint
from orchestration import selectors
from orchestration.engine.schedule import next_fire_time
from orchestration.models import DailyScrumReport, DailyScrumSchedule, Task
from orchestration.services.schedules import (
    deactivate_project_schedule,
    run_scheduled_daily_scrum,
)
from orchestration.services.sprints import close_sprint, create_schedule

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday, after 14:00 UTC


def scheduled_sprint(
    project_id: str = "TEST-001", *, cron: str = "0 14 * * 1-5", created: datetime | None = None
) -> DailyScrumSchedule:
    """A sprint in progress with 4 tasks and a schedule created at ``created`` (a week
    before NOW unless given)."""
    sprint = start_sprint(make_project(project_id, backlog=4), tasks=4)
    name = create_schedule(sprint, cron)
    DailyScrumSchedule.objects.filter(name=name).update(
        created_at=created or NOW - timedelta(days=7)
    )
    return DailyScrumSchedule.objects.select_related("sprint").get(name=name)


def test_the_next_fire_time_is_read_in_the_given_time_zone():
    after = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)

    assert next_fire_time("0 14 * * 1-5", after=after) == datetime(2026, 12, 1, 14, tzinfo=UTC)
    paris = next_fire_time("0 14 * * 1-5", after=after, zone=ZoneInfo("Europe/Paris"))
    assert paris == datetime(2026, 12, 2, 13, tzinfo=UTC)


def test_a_fire_time_is_strictly_after_the_last_run():
    at_fire = datetime(2026, 12, 1, 14, tzinfo=UTC)

    assert next_fire_time("0 14 * * *", after=at_fire) == at_fire + timedelta(days=1)


@pytest.mark.django_db
def test_it_finds_the_due_schedules_only():
    due = scheduled_sprint("DUE")
    scheduled_sprint("LATER", created=NOW - timedelta(minutes=30))
    stopped = scheduled_sprint("STOPPED")
    deactivate_project_schedule(project_id="STOPPED", name=stopped.name)
    closed = scheduled_sprint("CLOSED")
    close_sprint(project=closed.project, sprint_id=closed.sprint_id)

    found = selectors.due_schedules(now=NOW)

    assert [d.schedule_id for d in found] == [due.pk]
    assert found[0].fire_at == datetime(2026, 11, 25, 14, tzinfo=UTC)


@pytest.mark.django_db
def test_firing_advances_that_sprint_once_and_records_when_it_ran():
    schedule = scheduled_sprint()
    other = scheduled_sprint("OTHER")

    fired = run_scheduled_daily_scrum(schedule_id=schedule.pk, now=NOW, rng=random.Random(1))
    again = run_scheduled_daily_scrum(schedule_id=schedule.pk, now=NOW, rng=random.Random(2))

    assert fired.outcome is not None
    assert fired.outcome.report_id is not None
    assert again.outcome is None
    assert DailyScrumSchedule.objects.get(pk=schedule.pk).last_run_at == NOW
    report = DailyScrumReport.objects.get()
    assert (report.sprint_id, report.report_date) == (schedule.sprint_id, NOW.date())
    assert all(t.progress_percentage > 0 for t in Task.objects.filter(sprint=schedule.sprint))
    assert not Task.objects.filter(sprint=other.sprint, progress_percentage__gt=0).exists()
    assert selectors.next_run_at(DailyScrumSchedule.objects.get(pk=schedule.pk)) == datetime(
        2026, 12, 2, 14, tzinfo=UTC
    )


@pytest.mark.django_db
def test_a_deactivated_schedule_never_fires():
    schedule = scheduled_sprint()
    deactivate_project_schedule(project_id="TEST-001", name=schedule.name)

    fired = run_scheduled_daily_scrum(schedule_id=schedule.pk, now=NOW)

    assert fired.outcome is None
    assert not DailyScrumReport.objects.exists()
    stopped = DailyScrumSchedule.objects.get(pk=schedule.pk)
    assert (stopped.deactivation_reason, stopped.last_run_at) == ("operator", None)
    assert selectors.next_run_at(stopped) is None


@pytest.mark.django_db
def test_a_closed_sprints_schedule_records_why_it_stopped_and_never_fires():
    schedule = scheduled_sprint()
    close_sprint(project=schedule.project, sprint_id=schedule.sprint_id)

    fired = run_scheduled_daily_scrum(schedule_id=schedule.pk, now=NOW)

    assert fired.outcome is None
    assert DailyScrumSchedule.objects.get(pk=schedule.pk).deactivation_reason == "sprint_closed"


@pytest.mark.django_db
def test_a_deleted_schedule_is_nothing_to_do():
    schedule = scheduled_sprint()
    DailyScrumSchedule.objects.filter(pk=schedule.pk).delete()

    assert run_scheduled_daily_scrum(schedule_id=schedule.pk, now=timezone.now()).outcome is None


@pytest.mark.django_db
def test_a_sprints_detail_lists_its_daily_scrum_reports(api_client):
    schedule = scheduled_sprint()
    run_scheduled_daily_scrum(schedule_id=schedule.pk, now=NOW)

    body = api_client.get(f"/api/sprints/{schedule.sprint_id}/").json()

    report = DailyScrumReport.objects.get()
    assert body["daily_scrum_reports"] == [
        {
            "id": report.pk,
            "report_date": "2026-12-01",
            "ran_at": report.created_at.isoformat().replace("+00:00", "Z"),
            "summary": report.summary,
        }
    ]


@pytest.mark.django_db
def test_a_schedule_fires_on_its_projects_clock():
    # 14:00 in Tokyo is 05:00 UTC: at 15:00 UTC today's fire time is long past, while the
    # same cron of a UTC project (created at 14:30 UTC) is not due until tomorrow.
    created = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    tokyo = scheduled_sprint("TOKYO", created=created - timedelta(hours=12))
    utc = scheduled_sprint("UTC-PROJECT", created=created)
    tokyo.project.time_zone = "Asia/Tokyo"
    tokyo.project.save(update_fields=["time_zone"])

    found = selectors.due_schedules(now=NOW)

    assert [d.schedule_id for d in found] == [tokyo.pk]
    assert found[0].fire_at == datetime(2026, 12, 1, 5, tzinfo=UTC)
    assert selectors.next_run_at(
        DailyScrumSchedule.objects.select_related("project").get(pk=utc.pk)
    ) == datetime(2026, 12, 2, 14, tzinfo=UTC)
