"""Each worker's in-memory fleet of history features and its incremental refresh."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection

from conftest import add_closed_sprints
from orchestration.demo.load import clear_domain
from orchestration.engine import patterns
from orchestration.engine.values import HistoryFeatures
from orchestration.models import Project, ProjectHistoryFeatures
from orchestration.selectors.history import history_load_start
from orchestration.services import fleet
from orchestration.services.fleet import FleetFeatures
from orchestration.services.registry import delete_project

TARGET = HistoryFeatures("TARGET", 4, 5, 6.0, 0.8, 2.0, 5.0, 6)


def add_features(project_id: str, *, team: int = 4, rate: float = 0.8) -> None:
    Project.objects.get_or_create(project_id=project_id, defaults={"name": project_id})
    ProjectHistoryFeatures.objects.update_or_create(
        project_id=project_id,
        defaults={
            "team_size": team,
            "closed_sprints": 5,
            "mean_tasks_per_sprint": 6.0,
            "mean_completion_rate": rate,
            "mean_duration_weeks": 2.0,
            "mean_velocity": 5.0,
            "optimal_task_count": 6,
        },
    )


def stored_population() -> list[HistoryFeatures]:
    return [
        HistoryFeatures(*row)
        for row in ProjectHistoryFeatures.objects.values_list(
            "project_id",
            "team_size",
            "closed_sprints",
            "mean_tasks_per_sprint",
            "mean_completion_rate",
            "mean_duration_weeks",
            "mean_velocity",
            "optimal_task_count",
        )
    ]


def peer(*, rate: float, velocity: float) -> HistoryFeatures:
    return HistoryFeatures("T", 4, 3, 6.0, rate, 2.0, velocity, 6)


def ids(worker: FleetFeatures) -> list[str]:
    return [p.project_id for p in worker.similar_to(TARGET)]


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_anywhere_is_seen_by_the_next_call_of_every_worker():
    add_features("A")
    first, second = FleetFeatures(), FleetFeatures()
    assert ids(first) == ids(second) == ["A"]

    add_features("B")
    add_features("A", team=9, rate=0.1)

    assert ids(first) == ids(second) == ["B"]
    assert first.similar_to(TARGET) == patterns.find_similar_projects(TARGET, stored_population())


@pytest.mark.django_db(transaction=True)
def test_deleted_projects_and_a_truncated_table_leave_every_worker():
    for project_id in ("A", "B", "C"):
        add_features(project_id)
    worker = FleetFeatures()
    assert ids(worker) == ["A", "B", "C"]

    delete_project(project_id="B")
    assert ids(worker) == ["A", "C"]

    clear_domain()
    add_features("D")
    assert ids(worker) == ["D"]


@pytest.mark.django_db(transaction=True)
def test_a_closed_sprint_is_seen_by_the_next_call(project_factory):
    worker = FleetFeatures()
    project = project_factory("P", team=4)
    add_closed_sprints(project, [(6, 6)] * 3)
    assert [p.completion_rate for p in worker.similar_to(peer(rate=1.0, velocity=6.0))] == [1.0]

    add_closed_sprints(project, [(6, 0)] * 3)

    assert [p.completion_rate for p in worker.similar_to(peer(rate=0.5, velocity=3.0))] == [0.5]


@pytest.mark.django_db(transaction=True)
def test_a_warm_refresh_is_one_statement_however_large_the_fleet(django_assert_num_queries):
    for i in range(30):
        add_features(f"P{i:02d}")
    worker = FleetFeatures()
    worker.similar_to(TARGET)

    with django_assert_num_queries(1):
        worker.similar_to(TARGET)
    size = worker.nbytes()
    add_features("P99")
    with django_assert_num_queries(1):
        worker.similar_to(TARGET)
    assert worker.nbytes() > size


@pytest.mark.django_db(transaction=True)
def test_the_first_call_loads_the_fleet_in_two_statements_parsed_in_chunks(
    django_assert_num_queries,
):
    for i in range(10):
        add_features(f"P{i:02d}" if i % 2 else f"LONGER-ID-{i}", team=3 + i % 3)
    worker = FleetFeatures()

    with mock.patch.object(fleet, "LOAD_CHUNK", 3), django_assert_num_queries(2):
        loaded = worker.similar_to(TARGET)

    assert loaded == patterns.find_similar_projects(TARGET, stored_population())
    assert worker._matrix.ids.tolist() == sorted(p.project_id.encode() for p in stored_population())
    assert worker.nbytes() > 0


@pytest.mark.django_db(transaction=True)
def test_a_load_leaves_rows_changed_after_its_snapshot_to_the_next_refresh():
    add_features("A")
    add_features("B")
    worker = FleetFeatures()

    def start_then_change() -> object:
        started = history_load_start()
        add_features("A", team=9, rate=0.1)  # committed after the snapshot was taken
        add_features("A-MUCH-LONGER-ID")
        return started

    with mock.patch.object(fleet, "history_load_start", start_then_change):
        assert ids(worker) == ["B"]
    assert worker._matrix.ids.tolist() == [b"B"]

    assert ids(worker) == ["A-MUCH-LONGER-ID", "B"]
    assert worker.similar_to(TARGET) == patterns.find_similar_projects(TARGET, stored_population())


@pytest.mark.django_db
def test_uncommitted_rows_count_for_their_own_transaction_only():
    worker = FleetFeatures()
    add_features("A")

    assert ids(worker) == ["A"]
    # Nothing committed: a rollback of this transaction leaves the worker's fleet empty.
    assert worker.nbytes() == 0


@pytest.mark.django_db
def test_the_refresh_statement_uses_the_indexes():
    """The statement reads only changed rows, through the changed_xid and removed_xid
    indexes, whatever the size of the table."""
    add_features("A")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT * FROM orchestration_projecthistoryfeatures "
            "WHERE changed_xid >= %s OR changed_xid = ANY(%s)",
            [10**12, [5, 6]],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "changed_xid" in plan
    assert "Index" in plan
