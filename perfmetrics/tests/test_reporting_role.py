from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from perfmetrics.sql_reporting import REPORTING_VIEWS, create_reporting_role
from perfmetrics.tests.conftest import make_run
from perfmetrics.tests.sql import connect_as

# The role connects on its own, so the rows it reads must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

BASE_TABLES = (
    "perfmetrics_run",
    "perfmetrics_component",
    "perfmetrics_dailyrollup",
    "perfmetrics_threshold",
    "auth_user",
    "authtoken_token",
    "orchestration_project",
)


@pytest.fixture
def role_name() -> Iterator[str]:
    """A fresh role name; the role (cluster-wide) is dropped afterwards."""
    name = f"reporting_test_{uuid.uuid4().hex[:12]}"
    yield name
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone():
            quoted = connection.ops.quote_name(name)
            cursor.execute(f"DROP OWNED BY {quoted}")
            cursor.execute(f"DROP ROLE {quoted}")


def test_the_role_can_read_every_view_and_no_table(role_name):
    make_run(250, components={"full_pattern_analysis": 100})

    report = create_reporting_role(name=role_name, password="s3cret'pass")

    assert report.created
    assert report.other_readable == ()
    with connect_as(role_name, "s3cret'pass") as conn:
        for view in REPORTING_VIEWS:
            conn.execute(f"SELECT * FROM {view} LIMIT 1").fetchall()
        row = conn.execute("SELECT total_ms FROM perfmetrics_run_overview").fetchone()
        assert row == (250,)
        for table in BASE_TABLES:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM {table} LIMIT 1")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TEMP TABLE scratch (id int)")


def test_the_command_can_run_twice_and_updates_the_password(role_name, monkeypatch):
    monkeypatch.setenv("REPORTING_DB_USER", role_name)
    monkeypatch.setenv("REPORTING_DB_PASSWORD", "first-password")
    call_command("create_reporting_role", stdout=(first := _Output()))
    verifier_before = _password_verifier(role_name)
    monkeypatch.setenv("REPORTING_DB_PASSWORD", "second-password")

    call_command("create_reporting_role", stdout=(second := _Output()))

    assert first.text.startswith(f"Created role {role_name}")
    assert second.text.startswith(f"Updated role {role_name}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [role_name])
        assert cursor.fetchone() == (1,)
    if verifier_before is not None:  # readable by superusers only
        assert _password_verifier(role_name) != verifier_before
    with connect_as(role_name, "second-password") as conn:
        assert conn.execute("SELECT count(*) FROM perfmetrics_run_overview").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT 1 FROM perfmetrics_run")


@pytest.mark.parametrize(
    ("verbosity", "detail"), [("0", ""), ("1", ""), ("2", "Role {name} on database 'default'")]
)
def test_the_outcome_goes_to_stdout_and_detail_to_stderr_from_verbosity_2(
    role_name, monkeypatch, verbosity, detail
):
    monkeypatch.setenv("REPORTING_DB_USER", role_name)
    monkeypatch.setenv("REPORTING_DB_PASSWORD", "a-password")
    out, err = _Output(), _Output()

    call_command("create_reporting_role", "-v", verbosity, stdout=out, stderr=err)

    assert out.text.startswith(f"Created role {role_name}: SELECT on ")
    assert err.text.startswith(detail.format(name=role_name))
    assert bool(err.text) == bool(detail)


def test_the_password_can_come_from_a_file(role_name, monkeypatch, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("REPORTING_DB_USER", role_name)
    monkeypatch.delenv("REPORTING_DB_PASSWORD", raising=False)
    monkeypatch.setenv("REPORTING_DB_PASSWORD_FILE", str(secret))

    call_command("create_reporting_role", stdout=_Output())

    with connect_as(role_name, "from-a-file") as conn:
        assert conn.execute("SELECT count(*) FROM perfmetrics_daily_component_stats").fetchone()


def test_the_command_requires_a_password(role_name, monkeypatch):
    monkeypatch.setenv("REPORTING_DB_USER", role_name)
    monkeypatch.delenv("REPORTING_DB_PASSWORD", raising=False)
    monkeypatch.delenv("REPORTING_DB_PASSWORD_FILE", raising=False)

    with pytest.raises(CommandError, match="REPORTING_DB_PASSWORD"):
        call_command("create_reporting_role")

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role_name])
        assert cursor.fetchone() is None


def test_a_rejected_setting_leaves_no_role_behind(role_name, monkeypatch):
    monkeypatch.setenv("REPORTING_DB_USER", role_name)
    monkeypatch.setenv("REPORTING_DB_PASSWORD", "whatever")

    with pytest.raises(CommandError, match="statement_timeout"):
        call_command("create_reporting_role", "--statement-timeout", "soon")

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role_name])
        assert cursor.fetchone() is None


def test_it_refuses_to_reconfigure_the_application_role(monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (current,) = cursor.fetchone()
    monkeypatch.setenv("REPORTING_DB_USER", current)
    monkeypatch.setenv("REPORTING_DB_PASSWORD", "whatever")

    with pytest.raises(CommandError, match="choose another REPORTING_DB_USER"):
        call_command("create_reporting_role")

    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(current_user, 'perfmetrics_run', 'SELECT')")
        assert cursor.fetchone() == (True,)


class _Output:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def _password_verifier(name: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        (is_superuser,) = cursor.fetchone()
        if not is_superuser:
            return None
        cursor.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", [name])
        (verifier,) = cursor.fetchone()
        return str(verifier)
