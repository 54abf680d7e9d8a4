"""Every third-party package the code imports is declared in the requirements file of the
code that imports it, and the lock files (``make lock``) pin what those files pin."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from .deployfiles import REPO

LOCAL_MODULES = {"orchestration", "perfmetrics", "orchestrator_site", "bench", "conftest"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")
# Development only although it lives in the site package: the embedded PostgreSQL of
# `make run` and `make test` (never used in the production image).
DEVELOPMENT_MODULES = {"orchestrator_site/devdb.py"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(paths: Iterable[Path]) -> dict[str, set[str]]:
    """Top-level third-party module -> files importing it (any import, even in a function)."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {name.split(".")[0] for name in names}:
                if top not in sys.stdlib_module_names and top not in LOCAL_MODULES | {"__future__"}:
                    found.setdefault(top, set()).add(path.relative_to(REPO).as_posix())
    return found


def declared(requirements: str) -> set[str]:
    """Distribution names a requirements file pins, following ``-r`` includes."""
    names: set[str] = set()
    for line in (REPO / requirements).read_text().splitlines():
        if line.startswith("-r "):
            names |= declared(line.split(maxsplit=1)[1])
        elif match := PIN.match(line):
            names.add(normalized(match.group(1)))
    return names


def pins(path: str) -> dict[str, str]:
    """Distribution -> version of every ``name==version`` line of one file (no includes)."""
    return {
        normalized(m.group(1)): m.group(3)
        for line in (REPO / path).read_text().splitlines()
        if (m := PIN.match(line))
    }


def distributions_of(module: str) -> set[str]:
    # A module that is not installed here (a package for another Python version) is
    # assumed to share its distribution's name.
    return {normalized(d) for d in packages_distributions().get(module, [module])}


def code_of(kind: str) -> list[Path]:
    apps = [REPO / app for app in ("orchestration", "perfmetrics", "orchestrator_site")]
    every = [p for app in apps for p in app.rglob("*.py")]
    is_test = {p for p in every if "tests" in p.relative_to(REPO).parts}
    development = {REPO / name for name in DEVELOPMENT_MODULES}
    if kind == "runtime":
        runtime = [p for p in every if p not in is_test and p not in development]
        return [*runtime, REPO / "manage.py", REPO / "gunicorn.conf.py"]
    if kind == "dev":
        return [*is_test, *development, *REPO.glob("conftest.py")]
    return sorted((REPO / "bench").glob("*.py"))


@pytest.mark.parametrize(
    ("kind", "requirements"),
    [
        ("runtime", "requirements.txt"),
        ("dev", "requirements-dev.txt"),
        ("bench", "requirements-bench.txt"),
    ],
)
def test_every_imported_package_is_declared_where_its_code_is_installed(kind, requirements):
    names = declared(requirements)

    undeclared = {
        module: sorted(files)
        for module, files in imported_modules(code_of(kind)).items()
        if not distributions_of(module) & names
    }

    assert undeclared == {}, f"declare these in {requirements} (and run `make lock`)"


@pytest.mark.parametrize(
    ("requirements", "lock"),
    [
        ("requirements.txt", "requirements.lock"),
        ("requirements-dev.txt", "requirements-dev.lock"),
        ("requirements-bench.txt", "requirements-bench.lock"),
    ],
)
def test_each_lock_file_pins_what_its_requirements_file_pins(requirements, lock):
    locked = pins(lock)

    stale = {
        name: (version, locked.get(name))
        for name, version in pins(requirements).items()
        if locked.get(name) != version
    }

    assert stale == {}, f"{lock} is out of date: run `make lock`"
    assert "--hash=sha256:" in (REPO / lock).read_text()


def test_the_lock_files_agree_on_every_package_they_share():
    runtime, dev, bench = (
        pins(lock)
        for lock in ("requirements.lock", "requirements-dev.lock", "requirements-bench.lock")
    )

    assert {n: v for n, v in runtime.items() if dev.get(n) != v} == {}
    assert {n: v for n, v in dev.items() if bench.get(n) != v} == {}
