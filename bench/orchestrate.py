"""Orchestration latency over HTTP on a small and on a large history, in one run.

    make bench                      # or: python bench/orchestrate.py [--requests 200]

Two databases are created next to the one DATABASE_URL names (same server):
``orchestrator_bench_small`` (10 projects x 40 closed sprints) and
``orchestrator_bench_large`` (1,000 projects x 40 closed sprints), migrated and
seeded with ``seed_demo`` (same seed, so TEST-001 has the same history in both; only
the number of other projects differs). A seeded database is reused while its seed
parameters and the generator's source are unchanged (``--reseed`` forces it).

One gunicorn server per database serves the real WSGI stack; after a warm-up the
script sends ``--requests`` dry-run orchestrations of TEST-001 (pattern recognition
on) to each, alternating the order every round so both share the machine's noise,
and prints the median and p95 latency of each, their ratio (target <= 1.5), the SQL
query count of one orchestration and where the server spent its time.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "TEST-001"
BODY = json.dumps({"action": "analyze_and_orchestrate", "options": {"dry_run": True}}).encode()
TARGET_RATIO = 1.5
SEED = 1


@dataclass(frozen=True)
class Dataset:
    label: str
    database: str
    projects: int
    sprints: int

    def seed_arguments(self) -> list[str]:
        return [
            "--projects", str(self.projects), "--sprints", str(self.sprints),
            "--seed", str(SEED), "--replace",
        ]  # fmt: skip

    def marker(self) -> str:
        """Identifies what was seeded: parameters plus a digest of the generator's code."""
        digest = hashlib.sha256()
        for path in sorted((ROOT / "orchestration" / "demo").glob("*.py")):
            digest.update(path.read_bytes())
        arguments = " ".join(self.seed_arguments())
        return f"seed_demo {arguments} generator={digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class Sample:
    seconds: float
    run_id: int


@dataclass
class Server:
    dataset: Dataset
    url: str
    port: int
    token: str
    process: subprocess.Popen[bytes]


def database_url(base_url: str, database: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def manage(url: str, *arguments: str, capture: bool = False) -> str:
    """Run ``manage.py`` against the database at ``url``; its output when ``capture``."""
    environment = {**os.environ, "DATABASE_URL": url}
    environment.setdefault("SECRET_KEY", "bench-only-secret")
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        check=True,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    return result.stdout or ""


def prepare(base_url: str, dataset: Dataset, *, reseed: bool) -> str:
    """Create, migrate and seed the dataset's database unless it is seeded already."""
    url = database_url(base_url, dataset.database)
    with psycopg.connect(database_url(base_url, "postgres"), autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [dataset.database],
        ).fetchone()
        if row is not None and row[0] == dataset.marker() and not reseed:
            print(f"{dataset.label}: reusing {dataset.database} ({dataset.marker()})")
            manage(url, "migrate", "--no-input", "-v", "0")
            return url
        name = sql.Identifier(dataset.database)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
        manage(url, "migrate", "--no-input", "-v", "0")
        print(f"{dataset.label}: seeding {dataset.projects} projects x {dataset.sprints} sprints")
        started = time.perf_counter()
        manage(url, "seed_demo", *dataset.seed_arguments())
        print(f"{dataset.label}: seeded in {time.perf_counter() - started:.1f}s")
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(name, sql.Literal(dataset.marker()))
        )
    return url


def api_token(url: str) -> str:
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from rest_framework.authtoken.models import Token\n"
        "user, _ = get_user_model().objects.get_or_create(username='bench')\n"
        "print(Token.objects.get_or_create(user=user)[0].key)\n"
    )
    return manage(url, "shell", "-v", "0", "-c", code, capture=True).strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(dataset: Dataset, url: str) -> Server:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    environment.setdefault("SECRET_KEY", "bench-only-secret")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "orchestrator_site.wsgi",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning",
        ],
        cwd=ROOT,
        env=environment,
    )  # fmt: skip
    server = Server(dataset, url, port, api_token(url), process)
    wait_until_live(server)
    return server


def wait_until_live(server: Server, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"gunicorn for {server.dataset.label} exited early")
        try:
            status, _ = request(server, "GET", "/health")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn for {server.dataset.label} did not answer /health")


@contextmanager
def running(servers: list[Server]) -> Iterator[list[Server]]:
    try:
        yield servers
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            server.process.wait(timeout=30)


def request(server: Server, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        headers = {"Authorization": f"Token {server.token}", "Content-Type": "application/json"}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def orchestrate(server: Server) -> Sample:
    started = time.perf_counter()
    status, payload = request(server, "POST", f"/orchestrate/project/{PROJECT}", BODY)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise SystemExit(f"{server.dataset.label}: HTTP {status}: {payload[:500]!r}")
    body = json.loads(payload)
    return Sample(seconds=elapsed, run_id=int(body["run_id"]))


def measure(servers: list[Server], *, requests: int, warmup: int) -> dict[str, list[Sample]]:
    """Warm each server up, then alternate which one goes first in every round."""
    for server in servers:
        for _ in range(warmup):
            orchestrate(server)
    samples: dict[str, list[Sample]] = {server.dataset.label: [] for server in servers}
    for round_number in range(requests):
        order = servers if round_number % 2 == 0 else list(reversed(servers))
        for server in order:
            samples[server.dataset.label].append(orchestrate(server))
    return samples


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def server_side(url: str, run_ids: list[int]) -> tuple[list[int], float, dict[str, float]]:
    """Query counts, median recorded duration and median per component of these runs."""
    with psycopg.connect(url) as connection:
        runs = connection.execute(
            "SELECT db_queries, duration_ms FROM perfmetrics_run WHERE id = ANY(%s)", [run_ids]
        ).fetchall()
        # Exact medians per component of the measured runs; the ORM has no percentile.
        components = connection.execute(
            "SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) "
            "FROM perfmetrics_component WHERE run_id = ANY(%s) GROUP BY name ORDER BY 2 DESC",
            [run_ids],
        ).fetchall()
    queries = sorted({int(q) for q, _ in runs})
    return queries, statistics.median(d for _, d in runs), {n: float(m) for n, m in components}


def report(servers: list[Server], samples: dict[str, list[Sample]]) -> float:
    """Print the figures; return the ratio of the medians (large / small)."""
    medians: dict[str, float] = {}
    print(
        f"\n{'history':<8}{'requests':>9}{'median ms':>11}{'p95 ms':>9}{'server ms':>11}  queries"
    )
    details = {}
    for server in servers:
        label = server.dataset.label
        latencies = [s.seconds * 1000 for s in samples[label]]
        queries, server_ms, components = server_side(server.url, [s.run_id for s in samples[label]])
        medians[label] = statistics.median(latencies)
        details[label] = components
        print(
            f"{label:<8}{len(latencies):>9}{medians[label]:>11.2f}"
            f"{percentile(latencies, 0.95):>9.2f}{server_ms:>11.2f}  {queries}"
        )
    ratio = medians["large"] / medians["small"]
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"\nratio large/small of the medians: {ratio:.3f} (target <= {TARGET_RATIO}: {verdict})")
    print("\nserver-side median per component (ms):")
    names = list(details["large"])
    print(f"  {'component':<28}{'small':>9}{'large':>9}")
    for name in names:
        print(f"  {name:<28}{details['small'].get(name, 0.0):>9.2f}{details['large'][name]:>9.2f}")
    return ratio


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="Measured requests per server.")
    parser.add_argument("--warmup", type=int, default=20, help="Unmeasured requests per server.")
    parser.add_argument("--small-projects", type=int, default=10)
    parser.add_argument("--large-projects", type=int, default=1000)
    parser.add_argument("--sprints", type=int, default=40, help="Closed sprints per project.")
    parser.add_argument("--reseed", action="store_true", help="Seed even when already seeded.")
    parser.add_argument(
        "--check", action="store_true", help=f"Exit 1 when the ratio is above {TARGET_RATIO}."
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        raise SystemExit("DATABASE_URL is not set; run `make bench` (it starts a database).")
    datasets = [
        Dataset("small", "orchestrator_bench_small", arguments.small_projects, arguments.sprints),
        Dataset("large", "orchestrator_bench_large", arguments.large_projects, arguments.sprints),
    ]
    urls = [prepare(base_url, d, reseed=arguments.reseed) for d in datasets]
    servers: list[Server] = []
    with running(servers):
        for dataset, url in zip(datasets, urls, strict=True):
            servers.append(start_server(dataset, url))
        samples = measure(servers, requests=arguments.requests, warmup=arguments.warmup)
    ratio = report(servers, samples)
    return 1 if arguments.check and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
