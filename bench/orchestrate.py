"""Orchestration latency over HTTP on a small and on a large history, in one run.

    make bench                      # or: python -m bench.orchestrate [--requests 200]

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
query count of one orchestration and where the server spent its time. Medians and p95
are PostgreSQL's ``percentile_cont`` (``perfmetrics.statistics.percentile``), as the
metrics API and ``manage.py perftest`` compute them.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from dataclasses import dataclass

import psycopg

from bench.common import (
    ORCHESTRATE,
    PERCENTILE_NOTE,
    Sample,
    Server,
    manage,
    measure_rounds,
    percentile,
    prepare_database,
    require_database_url,
    seed_marker,
    serving,
    warm_up,
)

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
        return seed_marker(self.seed_arguments())


def prepare(base_url: str, dataset: Dataset, *, reseed: bool) -> str:
    """Create, migrate and seed the dataset's database unless it is seeded already."""

    def seed(url: str) -> None:
        print(f"{dataset.label}: seeding {dataset.projects} projects x {dataset.sprints} sprints")
        manage(url, "seed_demo", *dataset.seed_arguments())

    return prepare_database(
        base_url,
        dataset.database,
        marker=dataset.marker(),
        reseed=reseed,
        build=seed,
        label=dataset.label,
    )


def measure(servers: list[Server], *, requests: int, warmup: int) -> dict[str, list[Sample]]:
    """Warm each server up, then alternate which one goes first in every round."""
    warm_up(servers, [ORCHESTRATE], rounds=warmup)
    measured = measure_rounds(servers, {"orchestrate": ORCHESTRATE}, rounds=requests)
    return {server.label: measured["orchestrate", server.label] for server in servers}


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
    median = percentile([d for _, d in runs], 0.5)
    return queries, median, {n: float(m) for n, m in components}


def report(servers: list[Server], samples: dict[str, list[Sample]]) -> float:
    """Print the figures; return the ratio of the medians (large / small)."""
    medians: dict[str, float] = {}
    print(f"\n{PERCENTILE_NOTE}")
    print(f"{'history':<8}{'requests':>9}{'median ms':>11}{'p95 ms':>9}{'server ms':>11}  queries")
    details = {}
    for server in servers:
        label = server.label
        latencies = [s.milliseconds for s in samples[label]]
        run_ids = [int(str(s.body["run_id"])) for s in samples[label]]
        queries, server_ms, components = server_side(server.url, run_ids)
        medians[label] = percentile(latencies, 0.5)
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
    base_url = require_database_url()
    datasets = [
        Dataset("small", "orchestrator_bench_small", arguments.small_projects, arguments.sprints),
        Dataset("large", "orchestrator_bench_large", arguments.large_projects, arguments.sprints),
    ]
    urls = [prepare(base_url, d, reseed=arguments.reseed) for d in datasets]
    with ExitStack() as stack:
        servers = [
            stack.enter_context(serving(dataset.label, url))
            for dataset, url in zip(datasets, urls, strict=True)
        ]
        samples = measure(servers, requests=arguments.requests, warmup=arguments.warmup)
    ratio = report(servers, samples)
    return 1 if arguments.check and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
