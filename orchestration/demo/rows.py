"""Rows of the demo history, one named tuple per table.

Field names are the model attributes (``project_id`` for a foreign key), so the
loader can map them to columns and COPY the tuples as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple


class ProjectRow(NamedTuple):
    project_id: str
    name: str
    codename: str
    status: str
    sprint_count: int
    created_at: datetime
    updated_at: datetime


class EmployeeRow(NamedTuple):
    employee_id: str
    name: str
    email: str
    created_at: datetime


class MembershipRow(NamedTuple):
    project_id: str
    employee_id: str
    joined_at: datetime


class SprintRow(NamedTuple):
    sprint_id: str
    project_id: str
    number: int
    sprint_name: str
    start_date: date
    end_date: date
    duration_weeks: int
    status: str
    decision_source: str
    task_count: int | None
    completed_count: int | None
    created_at: datetime
    closed_at: datetime | None


class TaskRow(NamedTuple):
    task_id: str
    project_id: str
    title: str
    description: str
    status: str
    assigned_to_id: str | None
    sprint_id: str | None
    progress_percentage: int
    created_at: datetime
    updated_at: datetime


class SnapshotRow(NamedTuple):
    sprint_id: str
    task_id: str
    assigned_to_id: str | None
    progress_percentage: int
    completed: bool


class RetrospectiveRow(NamedTuple):
    """A retrospective; ``action_items`` become rows of their own table."""

    sprint_id: str
    what_went_well: str
    what_could_be_improved: str
    tasks_summary: str  # JSON text
    completion_rate: float
    created_at: datetime
    action_items: tuple[tuple[str, str], ...]  # (description, status)


class ScheduleRow(NamedTuple):
    name: str
    project_id: str
    sprint_id: str
    cron_schedule: str
    is_active: bool
    created_at: datetime
    deactivated_at: datetime | None


class FeaturesRow(NamedTuple):
    project_id: str
    team_size: int
    closed_sprints: int
    mean_tasks_per_sprint: float
    mean_completion_rate: float
    mean_duration_weeks: float
    mean_velocity: float
    optimal_task_count: int
    updated_at: datetime


class HolidayRow(NamedTuple):
    date: date
    name: str
    type: str


class PTORow(NamedTuple):
    employee_id: str
    start_date: date
    end_date: date
    reason: str


@dataclass(frozen=True)
class ProjectHistory:
    """Everything one demo project brings, ready to load."""

    project: ProjectRow
    employees: tuple[EmployeeRow, ...]
    memberships: tuple[MembershipRow, ...]
    sprints: tuple[SprintRow, ...]
    tasks: tuple[TaskRow, ...]
    snapshots: tuple[SnapshotRow, ...]
    retrospectives: tuple[RetrospectiveRow, ...]
    schedules: tuple[ScheduleRow, ...]
    features: FeaturesRow | None
    pto: tuple[PTORow, ...]
