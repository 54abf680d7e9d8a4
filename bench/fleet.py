"""Pattern recognition at fleet scale: orchestration on 10 to 1,000,000 projects, in one run.

    make bench-fleet                    # or: python -m bench.fleet [--requests 100]

Databases next to the one DATABASE_URL names (same server), built once and reused while
their marker (what was built, from which generator code) is unchanged:

* ``orch_fleet_10``, ``orch_fleet_10000``, ``orch_fleet_100000``: ``seed_demo --projects N``
  (full histories: sprints, tasks, snapshots, retrospectives, history features);
* ``orch_fleet_1000000``: the 10-project demo plus 999,990 projects that have only a
  project row and history features (COPY), because full histories at that size would
  take hours to generate; similarity reads nothing else.

One gunicorn worker per database; after a warm-up (which includes each worker's first
load of the fleet) the script sends ``--requests`` dry-run orchestrations of TEST-001
with pattern recognition to each, the servers' order rotating every round so all share
the machine's noise. It prints the client-side p50 and the server-side
``full_pattern_analysis`` p50 and p95 (perfmetrics' stored component durations,
``percentile_cont``), the 100,000 / 10 ratio of the end-to-end p50 (target <= 1.5),
then the engine-level cost and memory of the fleet cache at 1,000,000 projects.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from bench.common import (
    ORCHESTRATE,
    ROOT,
    Sample,
    Server,
    database_url,
    manage,
    measure_rounds,
    percentile,
    prepare_database,
    require_database_url,
    seed_marker,
    serving,
    warm_up,
)
from perfmetrics.units import MB

TARGET_RATIO = 1.5
PATTERN_TARGET_MS = 50.0
DEMO = 10
SIZES = (10, 10_000, 100_000, 1_000_000)
# Above this size the extra projects are features only (see the module docstring).
FULL_HISTORY_UP_TO = 100_000
FEATURES_ONLY_VERSION = "features-only v1"


def seed_arguments(projects: int) -> list[str]:
    return ["--projects", str(projects), "--sprints", "8", "--seed", "1", "--replace"]


def prepare(base_url: str, projects: int, *, reseed: bool) -> str:
    full = projects <= FULL_HISTORY_UP_TO
    arguments = seed_arguments(projects if full else DEMO)
    marker = seed_marker(arguments)
    if not full:
        marker += f" + {projects - DEMO} {FEATURES_ONLY_VERSION}"

    def build(url: str) -> None:
        print(f"{projects}: seed_demo {' '.join(arguments)}", file=sys.stderr)
        manage(url, "seed_demo", *arguments)
        if not full:
            add_features_only(url, projects - DEMO)

    return prepare_database(
        base_url,
        f"orch_fleet_{projects}",
        marker=marker,
        reseed=reseed,
        build=build,
        label=str(projects),
    )


def add_features_only(url: str, count: int) -> None:
    """``count`` projects with drawn history features (spread like the demo's), COPYed."""
    rng = random.Random(1)
    now = datetime.now(UTC)
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        projects = sql.SQL(
            "COPY orchestration_project (project_id, name, codename, status, sprint_count, "
            "created_at, updated_at) FROM STDIN"
        )
        with cursor.copy(projects) as copy:
            for i in range(count):
                copy.write_row((f"FLEET-{i:07d}", f"Fleet {i}", "", "inactive", 8, now, now))
        features = sql.SQL(
            "COPY orchestration_projecthistoryfeatures (project_id, team_size, closed_sprints, "
            "mean_tasks_per_sprint, mean_completion_rate, mean_duration_weeks, mean_velocity, "
            "optimal_task_count, updated_at) FROM STDIN"
        )
        with cursor.copy(features) as copy:
            for i in range(count):
                team = rng.randint(3, 8)
                weeks = rng.choice((1.0, 2.0, 2.0, 2.0, 3.0))
                velocity = team * weeks * rng.uniform(0.5, 1.0)
                tasks = velocity * rng.uniform(0.8, 1.6)
                rate = min(1.0, velocity / tasks)
                optimal = max(1, round(tasks * rng.uniform(0.7, 1.0)))
                copy.write_row(
                    (f"FLEET-{i:07d}", team, 8, tasks, rate, weeks, velocity, optimal, now)
                )
        cursor.execute("ANALYZE orchestration_projecthistoryfeatures")


def server_side(url: str, run_ids: list[int]) -> tuple[float, float]:
    """p50 and p95 of full_pattern_analysis over these runs (percentile_cont, as the API)."""
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) "
            "FROM perfmetrics_component WHERE run_id = ANY(%s) AND name = 'full_pattern_analysis'",
            [run_ids],
        ).fetchone()
    assert row is not None
    return float(row[0]), float(row[1])


ENGINE_PROBE = """
import json, time, tracemalloc
import django
django.setup()
import psutil
from orchestration import selectors
from orchestration.engine import patterns
from orchestration.services.fleet import FleetFeatures

process = psutil.Process()
target = patterns.compute_features(
    project_id="TEST-001", team_size=4, outcomes=selectors.sprint_outcomes("TEST-001")
)
rss_before = process.memory_info().rss
fleet = FleetFeatures()
started = time.perf_counter()
fleet.similar_to(target)
load_s = time.perf_counter() - started
rss_after = process.memory_info().rss
# The same load again under tracemalloc (slower, so not timed): what the matrix keeps
# and the peak a load needs beside it.
traced = FleetFeatures()
tracemalloc.start()
traced.similar_to(target)
retained, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
del traced
timings = []
for _ in range(ROUNDS):
    started = time.perf_counter()
    similar = fleet.similar_to(target)
    timings.append((time.perf_counter() - started) * 1000)
print(json.dumps({
    "projects": len(fleet._matrix), "load_s": load_s, "matrix_bytes": fleet.nbytes(),
    "traced_retained": retained, "traced_peak": peak, "rss_delta": rss_after - rss_before,
    "timings": timings, "similar": len(similar),
}))
"""


@dataclass(frozen=True)
class EngineFigures:
    projects: int
    load_s: float
    matrix_bytes: int
    traced_retained: int
    traced_peak: int
    rss_delta: int
    timings: list[float]
    similar: int


def engine_level(url: str, rounds: int) -> EngineFigures:
    """Refresh + score of TEST-001 against the fleet in a fresh process, and its memory."""
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "orchestrator_site.settings",
    }
    environment.setdefault("SECRET_KEY", "bench-only-secret")
    result = subprocess.run(
        [sys.executable, "-c", ENGINE_PROBE.replace("ROUNDS", str(rounds))],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    return EngineFigures(**json.loads(result.stdout.strip().splitlines()[-1]))


def report(servers: list[Server], samples: dict[tuple[str, str], list[Sample]]) -> float:
    print(
        f"\n{'projects':>10}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'fpa p50 ms':>12}{'fpa p95 ms':>12}"
    )
    medians: dict[str, float] = {}
    for server in servers:
        taken = samples["orchestrate", server.label]
        latencies = [s.milliseconds for s in taken]
        run_ids = [int(str(s.body["run_id"])) for s in taken]
        p50, p95 = server_side(server.url, run_ids)
        medians[server.label] = percentile(latencies, 0.5)
        print(
            f"{int(server.label):>10,}{len(latencies):>9}{medians[server.label]:>9.2f}"
            f"{percentile(latencies, 0.95):>9.2f}{p50:>12.2f}{p95:>12.2f}"
        )
    if "100000" not in medians or "10" not in medians:
        return 0.0
    ratio = medians["100000"] / medians["10"]
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"\nend-to-end p50, 100,000 / 10: {ratio:.3f} (target <= {TARGET_RATIO}: {verdict})")
    return ratio


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="Measured requests per server.")
    parser.add_argument("--warmup", type=int, default=10, help="Unmeasured requests per server.")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="Comma-separated.")
    parser.add_argument("--engine-rounds", type=int, default=200)
    parser.add_argument("--reseed", action="store_true", help="Rebuild even when marked built.")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    base_url = require_database_url()
    sizes = [int(s) for s in arguments.sizes.split(",")]
    urls = {size: prepare(base_url, size, reseed=arguments.reseed) for size in sizes}
    with ExitStack() as stack:
        servers = [stack.enter_context(serving(str(size), urls[size])) for size in sizes]
        warm_up(servers, [ORCHESTRATE], rounds=arguments.warmup)
        samples = measure_rounds(servers, {"orchestrate": ORCHESTRATE}, rounds=arguments.requests)
    ratio = report(servers, samples)
    largest = max(sizes)
    figures = engine_level(database_url(base_url, f"orch_fleet_{largest}"), arguments.engine_rounds)
    timings = figures.timings
    print(
        f"\nengine and selector level at {figures.projects:,} projects "
        f"(refresh + score, {len(timings)} calls): p50 {percentile(timings, 0.5):.2f} ms, "
        f"p95 {percentile(timings, 0.95):.2f} ms (target <= {PATTERN_TARGET_MS})"
    )
    print(
        f"fleet cache: first load {figures.load_s:.2f} s; "
        f"matrix {figures.matrix_bytes / MB:.1f} MB; "
        f"tracemalloc retained {figures.traced_retained / MB:.1f} MB, "
        f"peak {figures.traced_peak / MB:.1f} MB; RSS delta {figures.rss_delta / MB:.1f} MB"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
