"""Measure retention: prune 1,000,000 old runs while orchestrations keep running.

    make bench-prune VENV=.venv                       # 1,000,000 runs x 8 components
    python -m orchestrator_site.devdb exec -- python bench/prune.py --runs 100000

Works in a database of its own (``<name>_bench_prune`` on the server of DATABASE_URL,
dropped afterwards unless ``--keep``): migrates it, generates ``--runs`` runs with
8 components each (INSERT ... SELECT generate_series) dated 40 to 100 days ago, seeds
projects with history, then starts a worker process that orchestrates one project in
a loop (dry runs with pattern recognition: each call records a run into the tables
being pruned). After a baseline period the prune runs in this process; the report
compares the worker's latency before and during the prune and shows the prune's
timings, including the longest single transaction (one roll-up day or one batch).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROJECT = "BENCH-001"
COMPONENTS = (
    # name, parent, depth, share of the run's duration
    ("project_analysis", "", 0, 0.10),
    ("full_pattern_analysis", "", 0, 0.45),
    ("similarity_analysis", "full_pattern_analysis", 1, 0.20),
    ("velocity_analysis", "full_pattern_analysis", 1, 0.10),
    ("success_pattern_detection", "full_pattern_analysis", 1, 0.08),
    ("insights_generation", "full_pattern_analysis", 1, 0.05),
    ("decision_making", "", 0, 0.15),
    ("action_execution", "", 0, 0.10),
)
CHUNK = 100_000


@dataclass(frozen=True)
class Latency:
    calls: int
    errors: int
    per_second: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--baseline-seconds", type=float, default=30.0)
    parser.add_argument("--json", type=Path, help="Also write the report as JSON.")
    parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
    return parser.parse_args()


def use_bench_database(url: str) -> tuple[str, str]:
    """Create an empty ``<name>_bench_prune`` next to DATABASE_URL's database."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_bench_prune"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name, urlunsplit(parts._replace(path=f"/{name}"))


def setup_django() -> None:
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator_site.settings")
    import django

    django.setup()


def generate_runs(count: int) -> float:
    """Insert ``count`` runs 40..100 days old, 8 components each; return the seconds taken."""
    from django.db import connection, transaction

    started = time.perf_counter()
    span_seconds = 60 * 24 * 3600
    components = ", ".join(
        f"('{name}', '{parent}', {depth}, {share}, {i})"
        for i, (name, parent, depth, share) in enumerate(COMPONENTS)
    )
    for first in range(1, count + 1, CHUNK):
        last = min(first + CHUNK - 1, count)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO perfmetrics_run (name, project_id, source, labels, dry_run,"
                " started_at, duration_ms, success, breached, error, cpu_user_ms, cpu_system_ms,"
                " rss_before_bytes, rss_after_bytes, db_queries, db_time_ms, host, pid,"
                " overhead_ms)"
                " SELECT 'total_orchestration', 'GEN-' || (g %% 50), 'api', '{}', false,"
                " now() - interval '100 days' + (g::float8 / %s * %s) * interval '1 second',"
                " d, g %% 97 <> 0, d >= 2000, '', d / 2, 1, 104857600,"
                " 104857600 + (random() * 4194304)::bigint, 40, 5, 'bench', 1, 0.1"
                " FROM generate_series(%s, %s) g, LATERAL (SELECT 40 + random() * 900 AS d) x"
                " RETURNING id",
                [count, span_seconds, first, last],
            )
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "INSERT INTO perfmetrics_component (run_id, name, parent, depth, offset_ms,"
                " duration_ms, cpu_ms, success, error)"
                " SELECT r.id, c.name, c.parent, c.depth, c.ord, r.duration_ms * c.share,"
                " r.duration_ms * c.share / 2, r.success, ''"
                f" FROM perfmetrics_run r CROSS JOIN (VALUES {components})"
                " AS c(name, parent, depth, share, ord) WHERE r.id BETWEEN %s AND %s",
                [min(ids), max(ids)],
            )
        print(f"  generated {last:,}/{count:,} runs", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE perfmetrics_run")
        cursor.execute("VACUUM ANALYZE perfmetrics_component")
    return time.perf_counter() - started


def seed_projects() -> None:
    from conftest import add_closed_sprints, make_project

    for i in range(1, 6):
        history = make_project(f"HIST-{i:03d}", team=3 + i % 3)
        add_closed_sprints(history, [(8 + i, 7 + i % 2), (10, 9), (9 + i % 4, 8)])
    target = make_project(PROJECT, team=4, backlog=30)
    add_closed_sprints(target, [(10, 8), (11, 10), (12, 11)])


def orchestrate_loop(stop: Any, results: Any, url: str) -> None:
    """Worker process: orchestrate (dry run) until ``stop`` is set; send timings back."""
    os.environ["DATABASE_URL"] = url
    setup_django()
    from orchestration.engine.values import OrchestrationOptions
    from orchestration.services.orchestrate import orchestrate_project

    options = OrchestrationOptions(dry_run=True, enable_pattern_recognition=True)
    samples: list[tuple[float, float, bool]] = []
    while not stop.is_set():
        began = time.monotonic()
        ok = True
        try:
            orchestrate_project(project_id=PROJECT, options=options, source="cli")
        except Exception as exc:  # a failure is a result here, not a crash
            ok = False
            print(f"  orchestration failed: {type(exc).__name__}: {exc}", flush=True)
        samples.append((began, (time.monotonic() - began) * 1000, ok))
    results.put(samples)


def rounded_percentile(values: list[float], fraction: float, digits: int) -> float | None:
    """perfmetrics' percentile (PostgreSQL's percentile_cont), rounded for the report."""
    from perfmetrics.statistics import percentile

    value = percentile(values, fraction)
    return None if value is None else round(value, digits)


def latency(samples: list[tuple[float, float, bool]], start: float, end: float) -> Latency:
    """Calls that started in [start, end): counts, throughput, latency of the successful ones."""
    chosen = [s for s in samples if start <= s[0] < end]
    values = [s[1] for s in chosen if s[2]]
    return Latency(
        calls=len(chosen),
        errors=sum(1 for s in chosen if not s[2]),
        per_second=round(len(chosen) / (end - start), 2) if end > start else 0.0,
        p50_ms=rounded_percentile(values, 0.5, 1),
        p95_ms=rounded_percentile(values, 0.95, 1),
        p99_ms=rounded_percentile(values, 0.99, 1),
        max_ms=round(max(values), 1) if values else None,
    )


def run_prune(batch_size: int) -> dict[str, Any]:
    from perfmetrics.retention import Progress, prune_runs

    steps: list[tuple[str, float]] = []
    last = time.perf_counter()

    def progress(event: Progress) -> None:
        nonlocal last
        now = time.perf_counter()
        steps.append(("rollup" if event.day else "batch", now - last))
        last = now
        if event.day or event.deleted.batches % 20 == 0:
            done = f"{event.day}" if event.day else f"{event.deleted.runs:,} runs deleted"
            print(f"  prune: {done}", flush=True)

    started = time.perf_counter()
    result = prune_runs(older_than=timedelta(days=30), batch_size=batch_size, progress=progress)
    total = time.perf_counter() - started
    rollups = [d for kind, d in steps if kind == "rollup"]
    batches = [d for kind, d in steps if kind == "batch"]
    return {
        "seconds": round(total, 1),
        "plan_and_rollup_seconds": round(total - sum(batches), 1),
        "rollup_days": len(rollups),
        "rollup_rows": result.rollup_rows,
        "rollup_day_max_seconds": round(max(rollups, default=0), 2),
        "runs_deleted": result.deleted.runs,
        "components_deleted": result.deleted.components,
        "batches": result.deleted.batches,
        "delete_seconds": round(sum(batches), 1),
        "batch_median_seconds": rounded_percentile(batches, 0.5, 3),
        "batch_max_seconds": round(max(batches, default=0), 3),
        "runs_per_second": round(result.deleted.runs / total) if total else None,
    }


def main() -> int:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        print("DATABASE_URL is required (make bench-prune provides one).", file=sys.stderr)
        return 2
    name, bench_url = use_bench_database(url)
    os.environ["DATABASE_URL"] = bench_url
    setup_django()
    from django.core.management import call_command
    from django.db import connections

    from perfmetrics.models import DailyRollup, Run

    try:
        call_command("migrate", verbosity=0)
        seed_projects()
        print(f"Generating {args.runs:,} runs x {len(COMPONENTS)} components in {name}")
        generated = generate_runs(args.runs)
        connections.close_all()

        context = multiprocessing.get_context("spawn")
        stop, results = context.Event(), context.Queue()
        worker = context.Process(target=orchestrate_loop, args=(stop, results, bench_url))
        worker.start()
        time.sleep(5)  # worker start-up and warm-up, outside the baseline
        baseline_start = time.monotonic()
        time.sleep(args.baseline_seconds)
        prune_start = time.monotonic()
        print("Pruning (older than 30 days) while the worker orchestrates")
        pruned = run_prune(args.batch_size)
        prune_end = time.monotonic()
        stop.set()
        samples = results.get()
        worker.join()

        report = {
            "runs_generated": args.runs,
            "components_generated": args.runs * len(COMPONENTS),
            "generate_seconds": round(generated, 1),
            "prune": pruned,
            "orchestration_before": asdict(latency(samples, baseline_start, prune_start)),
            "orchestration_during": asdict(latency(samples, prune_start, prune_end)),
            "runs_left": Run.objects.count(),
            "rollup_rows": DailyRollup.objects.count(),
            "cpus": os.cpu_count(),
        }
    finally:
        connections.close_all()
        if not args.keep:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
