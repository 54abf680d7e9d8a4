"""SQL reporting: the thresholds table the views read, and the read-only reporting role.

The views themselves are created by migration ``0003_reporting_views``; their columns
are documented in ``docs/sql-reporting.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connections, transaction
from psycopg import sql

from . import conf
from .models import Threshold, ThresholdMetric

# Every view the reporting role may read, in dependency order.
REPORTING_VIEWS = (
    "perfmetrics_duration_samples",
    "perfmetrics_daily_component_stats",
    "perfmetrics_daily_project_component_stats",
    "perfmetrics_run_overview",
    "perfmetrics_threshold_breaches",
    "perfmetrics_daily_threshold_breaches",
    "perfmetrics_release_component_stats",
)

DEFAULT_ROLE = "orchestrator_reporting"
DEFAULT_STATEMENT_TIMEOUT = "5min"


class ReportingRoleError(Exception):
    """The role cannot be (re)configured safely; the message says why."""


@dataclass(frozen=True)
class RoleReport:
    name: str
    created: bool
    views: tuple[str, ...]
    # Relations of the schema the role can still read besides the views (through PUBLIC
    # grants or role memberships); empty when the role is confined to the views.
    other_readable: tuple[str, ...]
    can_create_in_schema: bool


def sync_thresholds(*, using: str = "default") -> int:
    """Rewrite the thresholds table from ``PERFMETRICS`` settings; return the row count.

    The reporting views read thresholds from this table, so after a change of the
    threshold settings the views agree with the API once this ran (every ``migrate``
    runs it).
    """
    targets = conf.thresholds()
    rows = [
        Threshold(metric=ThresholdMetric.TOTAL_MS, component="", target=targets.total_ms),
        Threshold(
            metric=ThresholdMetric.MEMORY_INCREASE_MB,
            component="",
            target=targets.memory_increase_mb,
        ),
        Threshold(metric=ThresholdMetric.SUCCESS_RATE, component="", target=targets.success_rate),
        *(
            Threshold(metric=ThresholdMetric.COMPONENT_MS, component=name, target=target)
            for name, target in sorted(targets.component_ms.items())
        ),
    ]
    with transaction.atomic(using=using):
        Threshold.objects.using(using).all().delete()
        Threshold.objects.using(using).bulk_create(rows)
    return len(rows)


def sync_thresholds_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: sync when the thresholds table exists (not after a
    migration back to before it)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if Threshold._meta.db_table in tables:
        sync_thresholds(using=using)


def create_reporting_role(
    *,
    name: str,
    password: str,
    statement_timeout: str = DEFAULT_STATEMENT_TIMEOUT,
    using: str = "default",
) -> RoleReport:
    """Create or update a LOGIN role that can SELECT the reporting views and nothing else.

    Safe to run again: it re-sets the password and re-applies the privileges. Run it
    as a user that may create roles and owns the views (the migrating user, or a
    superuser). Refuses a role that is the current user, owns relations or is a
    superuser, because it would strip or misrepresent that role's rights.
    """
    if not name or len(name) > 63 or name.startswith("pg_"):
        raise ReportingRoleError(f"{name!r} is not a usable role name.")
    if not password:
        raise ReportingRoleError("The reporting role needs a password.")
    connection = connections[using]
    connection.ensure_connection()
    # The raw psycopg connection: statements carrying the password bypass Django's
    # query logging; they still run in Django's transaction.
    raw = connection.connection
    try:
        with transaction.atomic(using=using), raw.cursor() as cursor:
            created = _create_or_alter_role(cursor, name, password)
            _grant_views_only(cursor, name)
            _set_session_defaults(cursor, name, statement_timeout)
            other, can_create = _remaining_privileges(cursor, name)
    except psycopg.Error as exc:
        # Missing CREATEROLE, a bad timeout...: the server's message says what is wrong.
        raise ReportingRoleError(str(exc).strip()) from exc
    return RoleReport(
        name=name,
        created=created,
        views=REPORTING_VIEWS,
        other_readable=other,
        can_create_in_schema=can_create,
    )


def _create_or_alter_role(cursor: Any, name: str, password: str) -> bool:
    cursor.execute(
        "SELECT r.rolsuper, r.rolname = current_user,"
        " EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid)"
        " FROM pg_roles r WHERE r.rolname = %s",
        [name],
    )
    existing = cursor.fetchone()
    if existing is not None and any(existing):
        raise ReportingRoleError(
            f"Role {name!r} is a superuser, the current user or owns relations; "
            "choose another REPORTING_DB_USER."
        )
    verb = sql.SQL("ALTER" if existing else "CREATE")
    # CREATE/ALTER ROLE take no bind parameters: the password is quoted as a literal.
    cursor.execute(
        sql.SQL(
            "{} ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD {}"
        ).format(verb, sql.Identifier(name), sql.Literal(password))
    )
    return existing is None


def _set_session_defaults(cursor: Any, name: str, statement_timeout: str) -> None:
    role = sql.Identifier(name)
    cursor.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role))
    cursor.execute(
        sql.SQL("ALTER ROLE {} SET statement_timeout = {}").format(
            role, sql.Literal(statement_timeout)
        )
    )


def _grant_views_only(cursor: Any, name: str) -> None:
    cursor.execute("SELECT current_database(), current_schema()")
    database, schema = cursor.fetchone()
    role, schema_id = sql.Identifier(name), sql.Identifier(schema)
    statements = [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema_id, role),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema_id, role),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(schema_id, role),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_id, role),
        sql.SQL("GRANT SELECT ON {} TO {}").format(
            sql.SQL(", ").join(sql.Identifier(schema, view) for view in REPORTING_VIEWS), role
        ),
    ]
    for statement in statements:
        cursor.execute(statement)


def _remaining_privileges(cursor: Any, name: str) -> tuple[tuple[str, ...], bool]:
    """Relations of the current schema the role can read other than the views, and
    whether it can create objects there (PUBLIC's CREATE on PostgreSQL < 15)."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c"
        " WHERE c.relnamespace = current_schema()::regnamespace"
        " AND c.relkind IN ('r', 'v', 'm', 'p', 'f')"
        " AND has_table_privilege(%s, c.oid, 'SELECT')"
        " AND NOT c.relname = ANY(%s) ORDER BY c.relname",
        [name, list(REPORTING_VIEWS)],
    )
    other = tuple(row[0] for row in cursor.fetchall())
    cursor.execute("SELECT has_schema_privilege(%s, current_schema(), 'CREATE')", [name])
    row = cursor.fetchone()
    return other, bool(row[0])
