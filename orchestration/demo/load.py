"""Loading a generated demo history into PostgreSQL with COPY, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from psycopg import sql

from ..exceptions import ConflictError
from ..models import (
    PTO,
    DailyScrumSchedule,
    Employee,
    Holiday,
    Project,
    ProjectHistoryFeatures,
    ProjectMembership,
    RetrospectiveActionItem,
    Sprint,
    SprintRetrospective,
    SprintTaskSnapshot,
    Task,
)
from .generate import generate_holidays, generate_project
from .profile import DemoParameters
from .rows import ProjectHistory, RetrospectiveRow

# Projects generated and copied per round: bounds memory, paces the progress report.
BATCH_PROJECTS = 50
# The tables a seed writes, all by COPY.
LOADED: tuple[type[models.Model], ...] = (
    Holiday,
    Project,
    Employee,
    ProjectMembership,
    Sprint,
    Task,
    SprintTaskSnapshot,
    SprintRetrospective,
    RetrospectiveActionItem,
    DailyScrumSchedule,
    ProjectHistoryFeatures,
    PTO,
)
# Memory for sorting while the indexes are built and the foreign keys checked at the end
# of a load, for this transaction only.
BUILD_MEMORY = "256MB"

ProgressCallback = Callable[[int, int], None]


class DemoDataExistsError(ConflictError):
    def __init__(self) -> None:
        super().__init__(
            "The database already holds projects; use --if-empty to leave them alone or "
            "--replace to delete the domain data first."
        )


@dataclass(frozen=True)
class SeedSummary:
    """Rows written per table."""

    projects: int = 0
    employees: int = 0
    memberships: int = 0
    sprints: int = 0
    tasks: int = 0
    snapshots: int = 0
    retrospectives: int = 0
    action_items: int = 0
    schedules: int = 0
    features: int = 0
    holidays: int = 0
    pto: int = 0

    def __add__(self, other: SeedSummary) -> SeedSummary:
        return SeedSummary(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


def has_projects() -> bool:
    return Project.objects.exists()


def seed_demo(
    params: DemoParameters, *, replace: bool = False, on_progress: ProgressCallback | None = None
) -> SeedSummary:
    """Generate and load the demo history in one transaction.

    Raises DemoDataExistsError when projects exist, unless ``replace`` (then every
    table of the orchestration domain is emptied first). ``on_progress(done, total)``
    is called after each batch of projects.
    """
    with transaction.atomic(), connection.cursor() as django_cursor:
        if replace:
            clear_domain()
        elif has_projects():
            raise DemoDataExistsError()
        cursor = django_cursor.cursor
        with indexes_built_afterwards(cursor, LOADED):
            summary = SeedSummary(
                holidays=copy_rows(cursor, Holiday, generate_holidays(params.today))
            )
            summary += _generate_while_loading(cursor, params, on_progress)
        analyze_domain()
    return summary


def _generate_while_loading(
    cursor: Any, params: DemoParameters, on_progress: ProgressCallback | None
) -> SeedSummary:
    """Generate each batch of projects while the previous one is being COPYed.

    The COPY runs in one helper thread, which alone uses the connection meanwhile; most
    of its time is PostgreSQL's, waited for without the GIL, so it overlaps with the
    generation. Batches are loaded in order, one at a time; an error in either stops the
    load and surfaces here, after any COPY in flight has ended.
    """
    summary = SeedSummary()
    in_flight: tuple[Future[SeedSummary], int] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-demo-copy") as copier:
        for first in range(0, params.projects, BATCH_PROJECTS):
            last = min(first + BATCH_PROJECTS, params.projects)
            histories = [generate_project(index, params) for index in range(first, last)]
            if in_flight is not None:
                summary += _loaded(*in_flight, params.projects, on_progress)
            in_flight = (copier.submit(load_histories, cursor, histories), last)
        if in_flight is not None:
            summary += _loaded(*in_flight, params.projects, on_progress)
    return summary


def _loaded(
    load: Future[SeedSummary], done: int, total: int, on_progress: ProgressCallback | None
) -> SeedSummary:
    loaded = load.result()
    if on_progress is not None:
        on_progress(done, total)
    return loaded


@contextmanager
def indexes_built_afterwards(cursor: Any, loaded: Sequence[type[models.Model]]) -> Iterator[None]:
    """Drop the foreign keys and plain indexes of the ``loaded`` models' tables for a bulk
    load, then create them again, same names and definitions, once the rows are in.

    Building an index once over millions of rows costs far less than inserting every row
    into it, and validating a foreign key once, by a join, far less than a deferred check
    per row. Primary keys, unique and check constraints stay, so the load is checked as
    it goes; every foreign key is checked over every row when it comes back. Call inside
    the loading transaction: the tables stay locked until it commits, and if anything
    fails the whole load, drops included, rolls back. ``cursor`` is a psycopg cursor.
    """
    tables = [model._meta.db_table for model in loaded]
    cursor.execute(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
        "ORDER BY conrelid::regclass::text, conname",
        [tables],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique "
        "ORDER BY indexrelid::regclass::text",
        [tables],
    )
    indexes = cursor.fetchall()
    # Catalog DDL read back from PostgreSQL itself: the ORM has no way to say it.
    for table, name, _definition in foreign_keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
    cursor.execute(f"SET LOCAL work_mem = '{BUILD_MEMORY}'")
    for _name, definition in indexes:
        cursor.execute(definition)
    for table, name, definition in foreign_keys:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def clear_domain() -> None:
    """Empty every table of the orchestration app (performance runs are kept)."""
    tables = ", ".join(connection.ops.quote_name(t) for t in _domain_tables())
    with connection.cursor() as cursor:
        # TRUNCATE refuses tables with foreign-key checks still deferred in this
        # transaction, so run those checks now and defer them again afterwards.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # TRUNCATE is the only way to empty a million-row history quickly.
        cursor.execute(f"TRUNCATE {tables}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _domain_tables() -> list[str]:
    return [m._meta.db_table for m in apps.get_app_config("orchestration").get_models()]


def analyze_domain() -> None:
    """Refresh the planner statistics, so the first queries after a bulk load plan well."""
    with connection.cursor() as cursor:
        for table in _domain_tables():
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def load_histories(cursor: Any, histories: Sequence[ProjectHistory]) -> SeedSummary:
    """COPY the histories' rows, parents before children. ``cursor`` is a psycopg cursor."""

    def rows(attribute: str) -> list[Any]:
        return [row for history in histories for row in getattr(history, attribute)]

    retrospectives = rows("retrospectives")
    return SeedSummary(
        projects=copy_rows(cursor, Project, [h.project for h in histories]),
        employees=copy_rows(cursor, Employee, rows("employees")),
        memberships=copy_rows(cursor, ProjectMembership, rows("memberships")),
        sprints=copy_rows(cursor, Sprint, rows("sprints")),
        tasks=copy_rows(cursor, Task, rows("tasks")),
        snapshots=copy_rows(cursor, SprintTaskSnapshot, rows("snapshots")),
        retrospectives=len(retrospectives),
        action_items=_copy_retrospectives(cursor, retrospectives),
        schedules=copy_rows(cursor, DailyScrumSchedule, rows("schedules")),
        features=copy_rows(
            cursor, ProjectHistoryFeatures, [h.features for h in histories if h.features]
        ),
        pto=copy_rows(cursor, PTO, rows("pto")),
    )


def _copy_retrospectives(cursor: Any, retrospectives: Sequence[RetrospectiveRow]) -> int:
    """COPY retrospectives with ids drawn from their sequence, then their action items."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [SprintRetrospective._meta.db_table, len(retrospectives)],
    )
    ids = [row[0] for row in cursor.fetchall()]
    columns = ("id", *RetrospectiveRow._fields[:-1])
    copy_rows(
        cursor,
        SprintRetrospective,
        ((pk, *row[:-1]) for pk, row in zip(ids, retrospectives, strict=True)),
        columns=columns,
    )
    return copy_rows(
        cursor,
        RetrospectiveActionItem,
        (
            (pk, description, status)
            for pk, row in zip(ids, retrospectives, strict=True)
            for description, status in row.action_items
        ),
        columns=("retrospective_id", "description", "status"),
    )


def copy_rows(
    cursor: Any,
    model: type[models.Model],
    rows: Iterable[Sequence[object]],
    *,
    columns: Sequence[str] | None = None,
) -> int:
    """COPY ``rows`` into ``model``'s table; return how many were written.

    ``columns`` are model attribute names; by default the fields of the rows' named
    tuple type. Columns left out take their database default.
    """
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    names = columns if columns is not None else first._fields  # type: ignore[attr-defined]
    identifiers: list[sql.Composable] = [sql.Identifier(_column(model, n)) for n in names]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(identifiers)
    )
    count = 1
    with cursor.copy(statement) as copy:
        copy.write_row(first)
        for row in iterator:
            copy.write_row(row)
            count += 1
    return count


def _column(model: type[models.Model], name: str) -> str:
    """The database column of a model attribute (``project_id`` gives the FK's column)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a column"
    return field.column
