"""perfmetrics is a reusable app: it runs in a project that has only Django's usual apps,
DRF and perfmetrics (perfmetrics/tests/standalone/), and none of its modules imports this
repository's site or domain app (docs/design.md §8)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psycopg
import pytest
from django.db import connection
from psycopg import sql

PERFMETRICS = Path(__file__).resolve().parent.parent
REPO = PERFMETRICS.parent
FOREIGN_PACKAGES = {"orchestration", "orchestrator_site"}


def database_url(settings_dict: Mapping[str, Any], name: str) -> str:
    """A postgres:// URL for database ``name`` on the server of ``settings_dict``."""
    options = {key: str(value) for key, value in (settings_dict.get("OPTIONS") or {}).items()}
    host = str(settings_dict.get("HOST") or "")
    if host.startswith("/"):
        options["host"], host = host, ""
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if user or password else ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{auth}{host}{port}/{quote(name, safe='')}{query}"


def server_connection(settings_dict: Mapping[str, Any]) -> psycopg.Connection[Any]:
    """An autocommit connection to the maintenance database (CREATE DATABASE needs one)."""
    return psycopg.connect(
        dbname="postgres",
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        autocommit=True,
    )


@pytest.fixture
def standalone_database(django_db_setup: None) -> Iterator[str]:
    """A new empty database beside the test database; its URL. Dropped afterwards."""
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_standalone"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with server_connection(settings_dict) as server:
        server.execute(drop)
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(settings_dict, name)
    finally:
        with server_connection(settings_dict) as server:
            server.execute(drop)


def run_scenario(database: str) -> dict[str, Any]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "perfmetrics.tests.standalone.settings",
        "DATABASE_URL": database,
    }
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "perfmetrics.tests.standalone.scenario"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


def test_perfmetrics_records_and_reports_in_a_project_without_this_site(standalone_database):
    outcome = run_scenario(standalone_database)

    assert outcome["foreign_modules"] == []
    assert outcome["perfmetrics_modules"] > 10
    assert outcome["stored"] == [
        {
            "name": "checkout",
            "project_id": "shop",
            "success": True,
            "components": ["payment", "receipt"],
        }
    ]
    assert outcome["anonymous_status"] == 403, "the project's DRF permission applies"
    assert outcome["metrics_status"] == 200
    assert outcome["metrics"]["runs_analyzed"] == 1
    assert {"checkout", "payment", "receipt"} <= set(outcome["metrics"]["component_metrics"])
    assert outcome["admin_status"] == 200


def imported_packages(path: Path) -> set[str]:
    """Top-level names of every absolute import in a module, nested imports included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_perfmetrics_module_imports_the_site_or_the_domain_app():
    modules = [p for p in PERFMETRICS.rglob("*.py") if "tests" not in p.relative_to(REPO).parts]

    offenders = {
        p.relative_to(REPO).as_posix(): sorted(imported_packages(p) & FOREIGN_PACKAGES)
        for p in modules
        if imported_packages(p) & FOREIGN_PACKAGES
    }

    assert len(modules) > 10
    assert offenders == {}
