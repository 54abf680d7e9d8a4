"""Deterministic synthetic sprint history (pure: plain values in, rows out, no database).

Each project is simulated with its own random generator, seeded with the demo seed
and the project id, so a project's history does not depend on how many projects are
generated: ``TEST-001`` is the same in a 10-project and in a 1,000-project demo.

The model behind the numbers: every project has a "true" capacity (tasks its team
completes per sprint) and a commitment habit (tasks planned relative to capacity),
so completion rates and optimal sprint sizes differ between projects. Half of the
projects see their capacity rise or fall over their last sprints, so velocity trends
and the intelligence proposals have something to find. Sprints close the way
``services.sprints.close_sprint`` closes them: completed tasks stay, the others go
back to the backlog with their progress and are picked up first by the next sprint.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from ..engine.assignment import next_assignee
from ..engine.patterns import compute_features
from ..engine.retrospective import describe_retrospective
from ..engine.rules import sprint_identifier
from ..engine.schedule import schedule_name
from ..engine.values import DecisionMode, HistoryFeatures, SprintOutcome
from ..models import (
    ActionItemStatus,
    HolidayType,
    ProjectStatus,
    SprintStatus,
    TaskStatus,
    derive_task_status,
)
from . import words
from .profile import DEMO_PROJECT_ID, DemoParameters, ProjectProfile, capacity_at, draw_profile
from .rows import (
    EmployeeRow,
    FeaturesRow,
    HolidayRow,
    MembershipRow,
    ProjectHistory,
    ProjectRow,
    PTORow,
    RetrospectiveRow,
    ScheduleRow,
    SnapshotRow,
    SprintRow,
    TaskRow,
)

DAILY_SCRUM_CRON = "0 14 * * 1-5"


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def generate_holidays(today: date) -> tuple[HolidayRow, ...]:
    """A few company-wide days off around today, two of them in the next two weeks."""
    return tuple(
        HolidayRow(date=today + timedelta(days=offset), name=name, type=kind)
        for offset, name, kind in (
            (-75, "Public holiday", HolidayType.PUBLIC),
            (-30, "Company offsite", HolidayType.COMPANY),
            (5, "Regional public holiday", HolidayType.PUBLIC),
            (12, "Optional wellness day", HolidayType.OPTIONAL),
            (45, "Founders' day", HolidayType.COMPANY),
        )
    )


def generate_project(index: int, params: DemoParameters) -> ProjectHistory:
    """The full history of project number ``index`` (0 is TEST-001)."""
    return _Simulation(index, params).run()


@dataclass
class _Task:
    task_id: str
    title: str
    created_at: datetime
    updated_at: datetime
    assignee: str | None = None
    progress: int = 0


@dataclass
class _Simulation:
    index: int
    params: DemoParameters
    project_id: str = field(init=False)
    rng: random.Random = field(init=False)
    profile: ProjectProfile = field(init=False)
    team: list[str] = field(init=False)
    backlog: list[_Task] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    sprints: list[SprintRow] = field(default_factory=list)
    snapshots: list[SnapshotRow] = field(default_factory=list)
    retrospectives: list[RetrospectiveRow] = field(default_factory=list)
    schedules: list[ScheduleRow] = field(default_factory=list)
    outcomes: list[SprintOutcome] = field(default_factory=list)
    task_counter: int = 0
    last_assignee: str = ""  # the assignment rotation, as Project.last_assigned_member

    def __post_init__(self) -> None:
        self.project_id = self.params.project_id(self.index)
        self.rng = random.Random(f"{self.params.seed}:{self.project_id}")
        self.profile = draw_profile(self.index, self.rng, self.params)
        self.team = [f"{self.project_id}-E{i}" for i in range(1, self.profile.team_size + 1)]

    def run(self) -> ProjectHistory:
        today = self.params.today
        durations = [self._history_weeks() for _ in range(self.params.sprints)]
        active_start: date | None = None
        if self.profile.active_sprint:
            active_start = today - timedelta(
                days=self.rng.randint(0, 7 * self.profile.duration_weeks - 1)
            )
            last_end = active_start - timedelta(days=1)
        else:
            last_end = today - timedelta(days=self.rng.randint(1, 4))
        start = last_end - timedelta(weeks=sum(durations), days=-1)
        created_at = at(start - timedelta(days=7))
        for number, weeks in enumerate(durations, start=1):
            self._play_sprint(number, start, weeks)
            start += timedelta(weeks=weeks)
        if active_start is not None:
            self._open_active_sprint(len(durations) + 1, active_start)
        self._add_backlog(self.params.backlog, at(today - timedelta(days=1)))
        return self._history(created_at)

    def _history_weeks(self) -> int:
        """Mostly the project's usual length, now and then a week more or less."""
        weeks = self.profile.duration_weeks
        if not self.profile.steady_duration and self.rng.random() < 0.1:
            weeks = max(1, weeks + self.rng.choice((-1, 1)))
        return weeks

    def _new_task(self, created_at: datetime) -> _Task:
        self.task_counter += 1
        # Microseconds keep creation order strict, which "oldest first" relies on.
        stamp = created_at + timedelta(microseconds=self.task_counter)
        return _Task(
            task_id=f"{self.project_id}-TASK{self.task_counter:03d}",
            title=words.task_title(self.rng),
            created_at=stamp,
            updated_at=stamp,
        )

    def _take_tasks(self, count: int, planned_at: datetime) -> list[_Task]:
        """The ``count`` oldest backlog tasks, new ones when the backlog runs out, each with
        an assignee: its own, or the least loaded member, ties by the project's rotation
        (``next_assignee``, as ``open_sprint`` does)."""
        taken, self.backlog = self.backlog[:count], self.backlog[count:]
        taken += [self._new_task(planned_at) for _ in range(count - len(taken))]
        eligible = sorted(self.team)
        load = Counter(task.assignee for task in taken if task.assignee is not None)
        for task in taken:
            if task.assignee is None:
                task.assignee = self.last_assignee = next_assignee(
                    eligible, load, last=self.last_assignee
                )
                load[task.assignee] += 1
        return taken

    def _play_sprint(self, number: int, start: date, weeks: int) -> None:
        sprint_id = sprint_identifier(self.project_id, number)
        end = start + timedelta(weeks=weeks, days=-1)
        closed_at = at(end + timedelta(days=1))
        capacity = capacity_at(self.profile, number, sprints=self.params.sprints)
        capacity *= weeks / self.profile.duration_weeks
        planned = max(1, round(capacity * self.profile.commitment * self.rng.uniform(0.85, 1.15)))
        done = min(planned, max(0, round(self.rng.gauss(capacity, self.profile.noise))))
        tasks = self._take_tasks(planned, at(start - timedelta(days=1), 15))
        finished = set(self.rng.sample(range(planned), done))
        for position, task in enumerate(tasks):
            task.progress = 100 if position in finished else self._partial(task.progress)
            task.updated_at = closed_at
            self.snapshots.append(
                SnapshotRow(
                    sprint_id, task.task_id, task.assignee, task.progress, task.progress == 100
                )
            )
            if position in finished:
                self.tasks.append(
                    self._task_row(
                        task, derive_task_status(progress_percentage=100, in_sprint=True), sprint_id
                    )
                )
        pending = [task for position, task in enumerate(tasks) if position not in finished]
        self.backlog = pending + self.backlog
        self._close(sprint_id, number, start, end, weeks, tasks=tasks, done=done)

    def _partial(self, progress: int) -> int:
        """Progress of a task that did not finish: some are never started."""
        if progress == 0 and self.rng.random() < 0.3:
            return 0
        return self.rng.randint(max(progress, 10), 95)

    def _close(
        self,
        sprint_id: str,
        number: int,
        start: date,
        end: date,
        weeks: int,
        *,
        tasks: list[_Task],
        done: int,
    ) -> None:
        closed_at = at(end + timedelta(days=1))
        late_half = number > self.params.sprints // 2 and self.rng.random() < 0.5
        source = DecisionMode.INTELLIGENCE_ENHANCED if late_half else DecisionMode.RULE_BASED_ONLY
        status = (
            SprintStatus.COMPLETED if done == len(tasks) else SprintStatus.CLOSED_WITH_PENDING_TASKS
        )
        self.sprints.append(
            SprintRow(
                sprint_id=sprint_id,
                project_id=self.project_id,
                number=number,
                sprint_name=sprint_id,
                start_date=start,
                end_date=end,
                duration_weeks=weeks,
                status=status,
                decision_source=source,
                task_count=len(tasks),
                completed_count=done,
                created_at=at(start),
                closed_at=closed_at,
            )
        )
        self.outcomes.append(SprintOutcome(sprint_id, len(tasks), done, weeks))
        content = describe_retrospective(
            total=len(tasks),
            completed=done,
            in_progress=sum(1 for t in tasks if 0 < t.progress < 100),
            not_started=sum(1 for t in tasks if t.progress == 0),
        )
        # Action items of older sprints have been dealt with by now.
        item_status = (
            ActionItemStatus.DONE if number <= self.params.sprints - 3 else ActionItemStatus.OPEN
        )
        self.retrospectives.append(
            RetrospectiveRow(
                sprint_id=sprint_id,
                what_went_well=content.what_went_well,
                what_could_be_improved=content.what_could_be_improved,
                tasks_summary=json.dumps(content.tasks_summary),
                completion_rate=content.completion_rate,
                created_at=closed_at,
                action_items=tuple((text, item_status.value) for text in content.action_items),
            )
        )

    def _open_active_sprint(self, number: int, start: date) -> None:
        """A sprint in progress: each task moved along with the share of the sprint gone by."""
        sprint_id = sprint_identifier(self.project_id, number)
        weeks = self.profile.duration_weeks
        elapsed = ((self.params.today - start).days + 1) / (7 * weeks)
        capacity = capacity_at(self.profile, number, sprints=self.params.sprints)
        planned = max(1, round(capacity * self.profile.commitment))
        for task in self._take_tasks(planned, at(start - timedelta(days=1), 15)):
            gained = round(self.rng.uniform(0.0, 1.3) * elapsed * 100)
            task.progress = min(100, task.progress + gained)
            task.updated_at = at(self.params.today, 0)
            status = derive_task_status(progress_percentage=task.progress, in_sprint=True)
            self.tasks.append(self._task_row(task, status, sprint_id))
        self.sprints.append(
            SprintRow(
                sprint_id=sprint_id,
                project_id=self.project_id,
                number=number,
                sprint_name=sprint_id,
                start_date=start,
                end_date=start + timedelta(weeks=weeks, days=-1),
                duration_weeks=weeks,
                status=SprintStatus.IN_PROGRESS,
                decision_source=DecisionMode.RULE_BASED_ONLY,
                task_count=None,
                completed_count=None,
                created_at=at(start),
                closed_at=None,
            )
        )
        self.schedules.append(
            ScheduleRow(
                name=schedule_name(self.project_id, sprint_id),
                project_id=self.project_id,
                sprint_id=sprint_id,
                cron_schedule=DAILY_SCRUM_CRON,
                is_active=True,
                created_at=at(start),
                deactivated_at=None,
            )
        )

    def _add_backlog(self, count: int, created_at: datetime) -> None:
        self.backlog += [self._new_task(created_at) for _ in range(count)]
        self.tasks += [
            self._task_row(
                task, derive_task_status(progress_percentage=task.progress, in_sprint=False), None
            )
            for task in self.backlog
        ]

    def _task_row(self, task: _Task, status: TaskStatus, sprint_id: str | None) -> TaskRow:
        return TaskRow(
            task_id=task.task_id,
            project_id=self.project_id,
            title=task.title,
            description="",
            status=status,
            assigned_to_id=task.assignee,
            sprint_id=sprint_id,
            progress_percentage=task.progress,
            created_at=task.created_at,
            updated_at=task.updated_at,
        )

    def _history(self, created_at: datetime) -> ProjectHistory:
        codename = words.codename(self.rng)
        employees = tuple(
            EmployeeRow(employee_id, name, email, created_at)
            for employee_id, (name, email) in zip(
                self.team, words.people(self.rng, self.project_id, len(self.team)), strict=True
            )
        )
        features = compute_features(
            project_id=self.project_id, team_size=len(self.team), outcomes=self.outcomes
        )
        updated_at = max((s.created_at for s in self.sprints), default=created_at)
        return ProjectHistory(
            project=ProjectRow(
                project_id=self.project_id,
                name=f"{codename} {words.product(self.rng)}",
                codename=codename,
                status=ProjectStatus.IN_PROGRESS if self.sprints else ProjectStatus.INACTIVE,
                sprint_count=len(self.sprints),
                created_at=created_at,
                updated_at=updated_at,
            ),
            employees=employees,
            memberships=tuple(MembershipRow(self.project_id, e, created_at) for e in self.team),
            sprints=tuple(self.sprints),
            tasks=tuple(self.tasks),
            snapshots=tuple(self.snapshots),
            retrospectives=tuple(self.retrospectives),
            schedules=tuple(self.schedules),
            features=_features_row(features, updated_at) if features is not None else None,
            pto=self._pto(),
        )

    def _pto(self) -> tuple[PTORow, ...]:
        today = self.params.today
        if self.project_id == DEMO_PROJECT_ID and len(self.team) > 1:
            start = today + timedelta(days=3)
            return (PTORow(self.team[1], start, start + timedelta(days=3), "Family leave"),)
        if self.rng.random() >= 0.3:
            return ()
        start = today + timedelta(days=self.rng.randint(-20, 30))
        end = start + timedelta(days=self.rng.randint(0, 4))
        return (PTORow(self.rng.choice(self.team), start, end, words.pto_reason(self.rng)),)


def _features_row(features: HistoryFeatures, updated_at: datetime) -> FeaturesRow:
    return FeaturesRow(
        features.project_id,
        features.team_size,
        features.closed_sprints,
        features.mean_tasks_per_sprint,
        features.mean_completion_rate,
        features.mean_duration_weeks,
        features.mean_velocity,
        features.optimal_task_count,
        updated_at,
    )
