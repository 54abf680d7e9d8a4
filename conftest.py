"""Builders shared by every app's tests: small explicit helpers, no JSON fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orchestration.engine.values import DecisionMode
from orchestration.models import (
    Employee,
    Project,
    ProjectMembership,
    Sprint,
    SprintRetrospective,
    SprintStatus,
    SprintTaskSnapshot,
    Task,
    TaskStatus,
)
from orchestration.services.sprints import open_sprint, refresh_history_features

TODAY = date(2026, 11, 30)


@pytest.fixture
def api_client(db: None) -> APIClient:
    """An API client authenticated with a real token."""
    # No password: hashing one would cost most of each API test's setup time.
    user = get_user_model().objects.create_user("api-user")
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def make_project(
    project_id: str = "TEST-001",
    *,
    team: int = 3,
    backlog: int = 0,
    name: str | None = None,
) -> Project:
    """A project with ``team`` members (``{project_id}-E1``...) and ``backlog`` unassigned tasks."""
    project = Project.objects.create(project_id=project_id, name=name or f"Project {project_id}")
    for i in range(1, team + 1):
        employee, _ = Employee.objects.get_or_create(
            employee_id=f"{project_id}-E{i}", defaults={"name": f"Member {i} of {project_id}"}
        )
        ProjectMembership.objects.create(project=project, employee=employee)
    add_tasks(project, backlog)
    return project


def add_tasks(project: Project, count: int, *, start: int | None = None) -> list[Task]:
    first = start if start is not None else project.tasks.count() + 1
    return Task.objects.bulk_create(
        Task(task_id=f"{project.pk}-TASK{i:03d}", project=project, title=f"Task {i}")
        for i in range(first, first + count)
    )


def add_closed_sprints(
    project: Project,
    outcomes: Iterable[tuple[int, int]],
    *,
    duration_weeks: int = 2,
    end: date = TODAY - timedelta(days=1),
    retrospectives: bool = True,
) -> list[Sprint]:
    """Closed sprints with (task_count, completed_count) each, oldest first, plus features."""
    outcomes = list(outcomes)
    sprints = []
    for offset, (total, completed) in enumerate(outcomes):
        number = project.sprint_count + 1
        finish = end - timedelta(weeks=duration_weeks * (len(outcomes) - 1 - offset))
        sprint = Sprint.objects.create(
            sprint_id=f"{project.pk}-S{number:02d}",
            project=project,
            number=number,
            sprint_name=f"{project.pk}-S{number:02d}",
            start_date=finish - timedelta(weeks=duration_weeks, days=-1),
            end_date=finish,
            duration_weeks=duration_weeks,
            status=SprintStatus.COMPLETED
            if completed == total
            else SprintStatus.CLOSED_WITH_PENDING_TASKS,
            task_count=total,
            completed_count=completed,
        )
        # Tasks left pending in a history sprint count as finished later, so they do not
        # show up in the caller's backlog; the snapshot keeps how far each got.
        tasks = Task.objects.bulk_create(
            Task(
                task_id=f"{sprint.pk}-H{i:03d}",
                project=project,
                title=f"History task {i}",
                status=TaskStatus.COMPLETED,
                progress_percentage=100,
                sprint=sprint if i < completed else None,
            )
            for i in range(total)
        )
        SprintTaskSnapshot.objects.bulk_create(
            SprintTaskSnapshot(
                sprint=sprint,
                task=t,
                progress_percentage=100 if i < completed else 40,
                completed=i < completed,
            )
            for i, t in enumerate(tasks)
        )
        if retrospectives:
            SprintRetrospective.objects.create(
                sprint=sprint,
                what_went_well="-",
                what_could_be_improved="-",
                completion_rate=completed / total if total else 0.0,
            )
        project.sprint_count = number
        sprints.append(sprint)
    project.save(update_fields=["sprint_count"])
    refresh_history_features(project.pk)
    return sprints


def start_sprint(project: Project, tasks: int) -> Sprint:
    """The project's next sprint, opened on TODAY for two weeks (rule-based, no schedule)
    with up to ``tasks`` backlog tasks assigned, as an orchestration opens it."""
    project.refresh_from_db()
    opened = open_sprint(
        project=project,
        number=project.sprint_count + 1,
        duration_weeks=2,
        tasks_to_assign=tasks,
        decision_source=DecisionMode.RULE_BASED_ONLY,
        cron_schedule=None,
        today=TODAY,
    )
    return Sprint.objects.get(pk=opened.sprint_id)


@pytest.fixture
def project_factory(db: None) -> Callable[..., Project]:
    return make_project
