"""Helpers shared by the benchmark scripts: bench databases, gunicorn servers, timed HTTP
requests, percentiles (perfmetrics', PostgreSQL's ``percentile_cont``) and the tables
they print.

Every bench database lives next to the one ``DATABASE_URL`` names (same server). A
database is marked with ``COMMENT ON DATABASE`` once it is fully built, so a later run
reuses it while the marker (what was built, and from which code) is unchanged.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from orchestration.perftest.server import (
    ServerProcess,
    ServerStartError,
    free_port,
    running_gunicorn,
)
from perfmetrics import statistics

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS = "orchestrator_site.settings"


@dataclass(frozen=True)
class Server:
    """A benchmarked server: its label, the URL of its database, an API token and the
    started gunicorn."""

    label: str
    url: str
    token: str
    gunicorn: ServerProcess

    @property
    def port(self) -> int:
        return self.gunicorn.port

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self.gunicorn.process


def database_url(base_url: str, database: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def manage(url: str, *arguments: str, capture: bool = False, settings: str | None = None) -> str:
    """Run ``manage.py`` against the database at ``url``; its output when ``capture``."""
    environment = {**os.environ, "DATABASE_URL": url}
    environment.setdefault("SECRET_KEY", "bench-only-secret")
    if settings is not None:
        environment["DJANGO_SETTINGS_MODULE"] = settings
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        check=True,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    return result.stdout or ""


def database_marker(base_url: str, database: str) -> str | None:
    """The ``COMMENT ON DATABASE`` of ``database``; None when it is missing or unmarked."""
    with psycopg.connect(database_url(base_url, "postgres"), autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [database],
        ).fetchone()
    return None if row is None else row[0]


def prepare_database(
    base_url: str,
    database: str,
    *,
    marker: str,
    reseed: bool,
    build: Callable[[str], None],
    label: str | None = None,
) -> str:
    """The URL of ``database``, (re)built by ``build(url)`` unless it already carries ``marker``.

    A reused database is still migrated, so new migrations apply. A rebuilt one is
    dropped, created, migrated, handed to ``build`` and only then marked, so an
    interrupted build is redone next time.
    """
    label = label or database
    url = database_url(base_url, database)
    if database_marker(base_url, database) == marker and not reseed:
        print(f"{label}: reusing {database} ({marker})")
        manage(url, "migrate", "--no-input", "-v", "0")
        return url
    name = sql.Identifier(database)
    with psycopg.connect(database_url(base_url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    manage(url, "migrate", "--no-input", "-v", "0")
    started = time.perf_counter()
    build(url)
    print(f"{label}: built {database} in {time.perf_counter() - started:.1f}s")
    with psycopg.connect(database_url(base_url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(name, sql.Literal(marker)))
    return url


def seed_marker(seed_arguments: Sequence[str]) -> str:
    """Identifies a ``seed_demo`` database: its arguments plus a digest of the generator's code."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "orchestration" / "demo").glob("*.py")):
        digest.update(path.read_bytes())
    arguments = " ".join(seed_arguments)
    return f"seed_demo {arguments} generator={digest.hexdigest()[:16]}"


def api_token(url: str) -> str:
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from rest_framework.authtoken.models import Token\n"
        "user, _ = get_user_model().objects.get_or_create(username='bench')\n"
        "print(Token.objects.get_or_create(user=user)[0].key)\n"
    )
    return manage(url, "shell", "-v", "0", "-c", code, capture=True).strip().splitlines()[-1]


@contextmanager
def serving(
    label: str,
    url: str,
    *,
    environment: Mapping[str, str] | None = None,
    settings: str | None = None,
) -> Iterator[Server]:
    """One gunicorn worker serving the real WSGI stack on the database at ``url``, started
    by the project's launcher (``orchestration.perftest.server``); stopped when the
    block ends, however it ends.

    gunicorn reads the service's ``gunicorn.conf.py`` as in production, except that it
    runs one worker that is never recycled mid-measurement. Its output (one access-log
    line per request) goes to ``Server.gunicorn.log``. ``environment`` overrides variables of the
    server only (``PERFMETRICS_ENABLED``); ``settings`` replaces the settings module.
    """
    server_environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_MAX_REQUESTS": "0",
        **(environment or {}),
    }
    server_environment.setdefault("SECRET_KEY", "bench-only-secret")
    if settings is not None:
        server_environment["DJANGO_SETTINGS_MODULE"] = settings
    token = api_token(url)
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"bench-{label}-{port}.log"
    try:
        with running_gunicorn(
            env=server_environment,
            log=log,
            port=port,
            workers=1,
            options=["--log-level=warning"],
            ready_path="/health",
        ) as gunicorn:
            yield Server(label, url, token, gunicorn)
    except ServerStartError as error:
        raise SystemExit(f"gunicorn for {label}: {error}; see {log}") from None


def request(server: Server, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        headers = {"Authorization": f"Token {server.token}", "Content-Type": "application/json"}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def percentile(values: Sequence[float], fraction: float) -> float:
    """perfmetrics' percentile of a non-empty sample: PostgreSQL's ``percentile_cont``
    (linear interpolation between the closest ranks), as the API and perftest compute
    theirs, so the figures compare."""
    value = statistics.percentile(values, fraction)
    if value is None:
        raise ValueError("a percentile of no values")
    return value


def require_database_url() -> str:
    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        raise SystemExit("DATABASE_URL is not set; run `make bench` (it starts a database).")
    return base_url


@dataclass(frozen=True)
class Sample:
    milliseconds: float
    body: dict[str, object]


def timed(server: Server, method: str, path: str, body: bytes | None = None) -> Sample:
    started = time.perf_counter()
    status, payload = request(server, method, path, body)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise SystemExit(f"{server.label}: {method} {path}: HTTP {status}: {payload[:500]!r}")
    return Sample(milliseconds=elapsed * 1000, body=json.loads(payload))


def rotations(servers: Sequence[Server], rounds: int) -> list[list[Server]]:
    """The order of every round: each server goes first, second, ... equally often."""
    count = len(servers)
    return [[servers[(r + i) % count] for i in range(count)] for r in range(rounds)]


# One HTTP call of a benchmark: method, path, body.
Call = tuple[str, str, bytes | None]

# What every orchestration benchmark sends: a dry run of the demo's first project with pattern
# recognition on (the defaults), so a measurement changes no domain table.
PROJECT = "TEST-001"
ORCHESTRATE_PATH = f"/orchestrate/project/{PROJECT}"
ORCHESTRATE_BODY = {"action": "analyze_and_orchestrate", "options": {"dry_run": True}}
ORCHESTRATE: Call = ("POST", ORCHESTRATE_PATH, json.dumps(ORCHESTRATE_BODY).encode())


def warm_up(servers: Sequence[Server], calls: Collection[Call], *, rounds: int) -> None:
    """``rounds`` unmeasured calls of each of ``calls``, one server after the other."""
    for server in servers:
        for method, path, body in calls:
            for _ in range(rounds):
                timed(server, method, path, body)


def measure_rounds(
    servers: Sequence[Server], calls: Mapping[str, Call], *, rounds: int
) -> dict[tuple[str, str], list[Sample]]:
    """``rounds`` rounds in which every call goes to every server, the servers in the
    round's order of ``rotations``; the samples by (call name, server label)."""
    samples: dict[tuple[str, str], list[Sample]] = {
        (name, server.label): [] for name in calls for server in servers
    }
    for order in rotations(servers, rounds):
        for name, (method, path, body) in calls.items():
            for server in order:
                samples[name, server.label].append(timed(server, method, path, body))
    return samples


def row_of(label: str, values: Sequence[float]) -> str:
    return (
        f"  {label:<22}{len(values):>9}{percentile(values, 0.5):>11.2f}"
        f"{percentile(values, 0.95):>9.2f}{sum(values) / len(values):>10.2f}"
    )


# Above every latency table: the figures compare with the API's and perftest's.
PERCENTILE_NOTE = (
    "median, p95: PostgreSQL's percentile_cont, as the metrics API and perftest report"
)
HEADER = (
    f"  {PERCENTILE_NOTE}\n  {'':<22}{'requests':>9}{'median ms':>11}{'p95 ms':>9}{'mean ms':>10}"
)
