"""Speed and size of the perfmetrics app (issue 3), in one run.

    make bench-perfmetrics          # or: python -m bench.perfmetrics [--requests 200]
                                    #     [--only overhead|metrics|size] [--reseed]

overhead
    The orchestrate endpoint (dry run of TEST-001, pattern recognition on) served by three
    gunicorn servers (one worker each) on one seeded database: perfmetrics off
    (``PERFMETRICS_ENABLED=false``), perfmetrics on (the default), and perfmetrics off with
    django-silk's middleware on instead (``bench.settings_silk``). After a warm-up the
    requests go round-robin across the three, the order rotating every round. Prints the
    medians, p95s and the ratio (ours - off) / (silk - off) (target <= 0.10), the
    instrumentation's own accounting (``Run.overhead_ms``) and the SQL statements that
    recording adds to one request.
metrics
    The metrics endpoint, per project and global, over the last hour on two databases
    that hold the same runs in that hour (and in the hour before) but 10,000 and
    1,000,000 runs in all (see ``bench/generated_runs.py``). Requests alternate between
    the two servers. Prints the medians and their ratio (target <= 1.5), and checks that
    both databases answer the same statistics.
size
    Bytes per stored run at 1,000,000 runs: run and component tables with their indexes
    and TOAST, divided by the runs, and the split (target <= 2 KB).

Databases are created next to the one DATABASE_URL names and reused while the parameters
and the generating code are unchanged (``--reseed`` rebuilds them).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psutil
import psycopg

from bench import generated_runs
from bench.common import (
    Server,
    manage,
    percentile,
    prepare_database,
    request,
    require_database_url,
    running,
    seed_marker,
    start_server,
)

PROJECT = "TEST-001"
ORCHESTRATE_PATH = f"/orchestrate/project/{PROJECT}"
ORCHESTRATE_BODY = {"action": "analyze_and_orchestrate", "options": {"dry_run": True}}
SILK_SETTINGS = "bench.settings_silk"
OVERHEAD_DATABASE = "orchestrator_bench_overhead"
OVERHEAD_SEED = ["--projects", "100", "--sprints", "20", "--seed", "1", "--replace"]
METRICS_PATH = "/orchestrate/intelligence/performance/metrics"
WINDOW_RUNS = 1000
RUN_DATABASES = {"10k": 10_000, "1m": 1_000_000}
TARGET_OVERHEAD_RATIO = 0.10
TARGET_METRICS_RATIO = 1.5
TARGET_BYTES_PER_RUN = 2048


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


def row_of(label: str, values: Sequence[float]) -> str:
    return (
        f"  {label:<22}{len(values):>9}{statistics.median(values):>11.2f}"
        f"{percentile(values, 0.95):>9.2f}{statistics.fmean(values):>10.2f}"
    )


HEADER = f"  {'':<22}{'requests':>9}{'median ms':>11}{'p95 ms':>9}{'mean ms':>10}"


# --- overhead -------------------------------------------------------------------------


def seed_overhead_database(url: str) -> None:
    manage(url, "seed_demo", *OVERHEAD_SEED)


def prepare_overhead_database(base_url: str, *, reseed: bool) -> str:
    url = prepare_database(
        base_url,
        OVERHEAD_DATABASE,
        marker=seed_marker(OVERHEAD_SEED),
        reseed=reseed,
        build=seed_overhead_database,
        label="overhead",
    )
    # Silk's migrations only add its own tables; the other two servers never see them.
    manage(url, "migrate", "--no-input", "-v", "0", settings=SILK_SETTINGS)
    return url


def worker_cpu_seconds(server: Server) -> float:
    """User + system CPU time of the server's gunicorn worker so far."""
    workers = psutil.Process(server.process.pid).children()
    assert len(workers) == 1, f"{server.label}: expected one gunicorn worker, found {workers}"
    times = workers[0].cpu_times()
    return float(times.user + times.system)


@dataclass(frozen=True)
class OverheadSamples:
    latencies: dict[str, list[Sample]]
    # CPU milliseconds the worker spent per measured request.
    cpu_ms: dict[str, float]


def measure_overhead(servers: list[Server], *, requests: int, warmup: int) -> OverheadSamples:
    body = json.dumps(ORCHESTRATE_BODY).encode()
    for server in servers:
        for _ in range(warmup):
            timed(server, "POST", ORCHESTRATE_PATH, body)
    samples: dict[str, list[Sample]] = {server.label: [] for server in servers}
    cpu_before = {server.label: worker_cpu_seconds(server) for server in servers}
    for order in rotations(servers, requests):
        for server in order:
            samples[server.label].append(timed(server, "POST", ORCHESTRATE_PATH, body))
    cpu_ms = {
        server.label: (worker_cpu_seconds(server) - cpu_before[server.label]) * 1000 / requests
        for server in servers
    }
    return OverheadSamples(samples, cpu_ms)


STATEMENTS_CODE = """
import json
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
token = Token.objects.get(user__username='bench').key
client = Client(HTTP_AUTHORIZATION=f'Token {token}', HTTP_HOST='localhost')
statements = {}
for enabled in __ENABLED__:
    with override_settings(PERFMETRICS={**settings.PERFMETRICS, 'ENABLED': enabled}):
        client.post(__PATH__, __BODY__, content_type='application/json')
        with CaptureQueriesContext(connection) as captured:
            response = client.post(__PATH__, __BODY__, content_type='application/json')
        assert response.status_code == 200, response.content
    statements[str(enabled)] = [q['sql'] for q in captured.captured_queries]
print(json.dumps(statements))
"""


def request_statements(url: str, *, settings: str | None = None) -> dict[str, list[str]]:
    """Every SQL statement of one orchestrate request (Django's test client), by whether
    perfmetrics was on; with the silk settings only "False" (silk forces it off)."""
    enabled = "(False,)" if settings == SILK_SETTINGS else "(False, True)"
    code = (
        STATEMENTS_CODE.replace("__ENABLED__", enabled)
        .replace("__PATH__", repr(ORCHESTRATE_PATH))
        .replace("__BODY__", repr(ORCHESTRATE_BODY))
    )
    output = manage(url, "shell", "-v", "0", "-c", code, capture=True, settings=settings)
    statements: dict[str, list[str]] = json.loads(output.strip().splitlines()[-1])
    return statements


def statement_kind(statement: str) -> str:
    """A statement without its literals' noise: savepoint names differ between requests."""
    return re.sub(r'SAVEPOINT "[^"]+"', "SAVEPOINT", statement)[:60]


def extra_statements(off: list[str], on: list[str]) -> list[str]:
    """Statements of ``on`` beyond those of ``off``, compared by kind."""
    remaining = [statement_kind(s) for s in off]
    extra = []
    for statement in on:
        if statement_kind(statement) in remaining:
            remaining.remove(statement_kind(statement))
        else:
            extra.append(statement)
    return extra


def report_overhead(url: str, measured: OverheadSamples) -> None:
    samples = measured.latencies
    latencies = {label: [s.milliseconds for s in values] for label, values in samples.items()}
    print(f"\ninstrumentation overhead: POST {ORCHESTRATE_PATH} (dry run, patterns on)")
    print(f"{HEADER}{'worker CPU ms':>15}")
    for label, values in latencies.items():
        print(f"{row_of(label, values)}{measured.cpu_ms[label]:>15.2f}")
    medians = {label: statistics.median(values) for label, values in latencies.items()}
    ours, silk = medians["perfmetrics"] - medians["off"], medians["silk"] - medians["off"]
    print(f"\n  medians: perfmetrics - off = {ours:+.2f} ms, silk - off = {silk:+.2f} ms")
    ratio = ours / silk if silk else float("inf")
    verdict = "met" if ratio <= TARGET_OVERHEAD_RATIO else "MISSED"
    print(f"  ratio (ours - off) / (silk - off) = {ratio:.3f} (target <= 0.10: {verdict})")
    paired = {
        label: statistics.median(
            a - b for a, b in zip(latencies[label], latencies["off"], strict=True)
        )
        for label in ("perfmetrics", "silk")
    }
    print(
        f"  medians of the per-round differences: perfmetrics {paired['perfmetrics']:+.2f} ms,"
        f" silk {paired['silk']:+.2f} ms, ratio {paired['perfmetrics'] / paired['silk']:.3f}"
    )
    cpu = measured.cpu_ms
    cpu_ratio = (cpu["perfmetrics"] - cpu["off"]) / (cpu["silk"] - cpu["off"])
    print(
        f"  worker CPU per request: perfmetrics {cpu['perfmetrics'] - cpu['off']:+.2f} ms,"
        f" silk {cpu['silk'] - cpu['off']:+.2f} ms, ratio {cpu_ratio:.3f}"
    )
    report_recorded(url, samples)
    report_statements(url)


def report_recorded(url: str, samples: dict[str, list[Sample]]) -> None:
    """What each instrumentation stored about the measured requests."""
    run_ids = [int(str(s.body["run_id"])) for s in samples["perfmetrics"]]
    stray = [s.body.get("run_id") for s in samples["off"] + samples["silk"] if s.body.get("run_id")]
    with psycopg.connect(url) as connection:
        overhead, duration, queries = connection.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY overhead_ms),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms),"
            " array_agg(DISTINCT db_queries) FROM perfmetrics_run WHERE id = ANY(%s)",
            [run_ids],
        ).fetchone() or (None, None, None)
        silk_rows = connection.execute(
            "SELECT count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY num_sql_queries)"
            " FROM silk_request WHERE path = %s",
            [ORCHESTRATE_PATH],
        ).fetchone() or (0, None)
    print(
        f"  perfmetrics runs recorded: {len(run_ids)}, median Run.overhead_ms {overhead:.3f},"
        f" median Run.duration_ms {duration:.2f}, Run.db_queries {queries}"
    )
    print(f"  runs reported by the off and silk servers: {len(stray)} (expected 0)")
    print(
        f"  silk requests stored for {ORCHESTRATE_PATH} (all runs of this database): "
        f"{silk_rows[0]}, median SQL queries silk recorded per request: {silk_rows[1]}"
    )


def report_statements(url: str) -> None:
    statements = request_statements(url)
    off, on = statements["False"], statements["True"]
    silk = request_statements(url, settings=SILK_SETTINGS)["False"]
    print(
        f"  SQL statements of one request (CaptureQueriesContext): off {len(off)},"
        f" perfmetrics {len(on)} ({len(on) - len(off):+d}), silk {len(silk)}"
        f" ({len(silk) - len(off):+d}); perfmetrics' own:"
    )
    for statement in extra_statements(off, on):
        print(f"    {' '.join(statement.split())[:110]}")


def run_overhead(base_url: str, arguments: argparse.Namespace) -> None:
    url = prepare_overhead_database(base_url, reseed=arguments.reseed)
    servers: list[Server] = []
    with running(servers):
        servers.append(start_server("off", url, environment={"PERFMETRICS_ENABLED": "false"}))
        servers.append(
            start_server("perfmetrics", url, environment={"PERFMETRICS_ENABLED": "true"})
        )
        servers.append(
            start_server(
                "silk", url, environment={"PERFMETRICS_ENABLED": "false"}, settings=SILK_SETTINGS
            )
        )
        samples = measure_overhead(servers, requests=arguments.requests, warmup=arguments.warmup)
    report_overhead(url, samples)


# --- metrics and size -----------------------------------------------------------------


def run_database_name(label: str) -> str:
    return f"orchestrator_bench_runs_{label}"


def prepare_run_database(base_url: str, label: str, *, reseed: bool) -> str:
    total = RUN_DATABASES[label]
    print(f"{label}: {total:,} generated runs, {WINDOW_RUNS} in the last hour")
    url = prepare_database(
        base_url,
        run_database_name(label),
        marker=generated_runs.marker(total=total, window_runs=WINDOW_RUNS),
        reseed=reseed,
        build=lambda url: generated_runs.generate(url, total=total, window_runs=WINDOW_RUNS),
        label=label,
    )
    return url


def metrics_paths() -> dict[str, str]:
    return {"project": f"{METRICS_PATH}/{PROJECT}", "global": METRICS_PATH}


def measure_metrics(
    servers: list[Server], *, requests: int, warmup: int
) -> dict[tuple[str, str], list[Sample]]:
    paths = metrics_paths()
    for server in servers:
        for path in paths.values():
            for _ in range(warmup):
                timed(server, "GET", path)
    samples: dict[tuple[str, str], list[Sample]] = {
        (scope, server.label): [] for scope in paths for server in servers
    }
    for order in rotations(servers, requests):
        for scope, path in paths.items():
            for server in order:
                samples[scope, server.label].append(timed(server, "GET", path))
    return samples


def comparable(value: object) -> object:
    """A metrics response without the clock-dependent window bounds, floats to 9 digits
    (sums of the same values in another order differ in the last bits)."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k != "window"}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.9g}")
    return value


def report_metrics(samples: dict[tuple[str, str], list[Sample]]) -> dict[str, float]:
    print(f"\nmetrics endpoint, last 60 minutes ({WINDOW_RUNS} runs in the hour, all projects)")
    print(HEADER)
    ratios = {}
    for scope in metrics_paths():
        for label in RUN_DATABASES:
            values = [s.milliseconds for s in samples[scope, label]]
            analyzed = sorted({int(str(s.body["runs_analyzed"])) for s in samples[scope, label]})
            print(row_of(f"{scope} {label} runs={analyzed}", values))
        small, large = (
            statistics.median(s.milliseconds for s in samples[scope, k]) for k in RUN_DATABASES
        )
        ratios[scope] = large / small
        bodies = [comparable(samples[scope, label][-1].body) for label in RUN_DATABASES]
        same = "identical" if bodies[0] == bodies[1] else "DIFFERENT"
        verdict = "met" if ratios[scope] <= TARGET_METRICS_RATIO else "MISSED"
        print(
            f"  {scope}: ratio 1m/10k of the medians {ratios[scope]:.3f} (target <= 1.5:"
            f" {verdict}); statistics of both databases {same}"
        )
    return ratios


EXPLAIN_CODE = """
from django.db import connection
from perfmetrics import conf
from perfmetrics.selectors import Window, window_statistics
captured = []
def capture(execute, sql, params, many, context):
    captured.append((sql, params))
    return execute(sql, params, many, context)
window = Window(minutes=60, project_id=__PROJECT__, name=conf.get('DEFAULT_RUN_NAME'))
with connection.execute_wrapper(capture):
    window_statistics(window, min_runs_for_trends=int(conf.get('MIN_RUNS_FOR_TRENDS')))
with connection.cursor() as cursor:
    for sql, params in captured:
        cursor.execute('EXPLAIN (ANALYZE, BUFFERS) ' + sql, params)
        print('---')
        print('\\n'.join(row[0] for row in cursor.fetchall()))
"""


def explain_window_statistics(url: str, project_id: str | None) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the four statements of ``window_statistics``."""
    code = EXPLAIN_CODE.replace("__PROJECT__", repr(project_id))
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) of window_statistics, project {project_id}:")
    print(manage(url, "shell", "-v", "0", "-c", code, capture=True))


def run_metrics(base_url: str, arguments: argparse.Namespace) -> None:
    urls = {
        label: prepare_run_database(base_url, label, reseed=arguments.reseed)
        for label in RUN_DATABASES
    }
    for label, url in urls.items():
        shift = generated_runs.shift_windows(url, window_runs=WINDOW_RUNS)
        print(f"{label}: window runs moved by {shift} to end a minute ago")
    servers: list[Server] = []
    with running(servers):
        for label, url in urls.items():
            servers.append(start_server(label, url))
        samples = measure_metrics(servers, requests=arguments.requests, warmup=arguments.warmup)
    ratios = report_metrics(samples)
    if arguments.explain or max(ratios.values()) > TARGET_METRICS_RATIO:
        for project_id in (PROJECT, None):
            explain_window_statistics(urls["1m"], project_id)


SIZES = """
SELECT c.relname, 'table', pg_relation_size(c.oid)
    + pg_relation_size(c.oid, 'fsm') + pg_relation_size(c.oid, 'vm')
FROM pg_class c WHERE c.oid = %(table)s::regclass
UNION ALL
SELECT c.relname, 'toast', coalesce(pg_total_relation_size(c.reltoastrelid), 0)
FROM pg_class c WHERE c.oid = %(table)s::regclass
UNION ALL
SELECT i.indexrelid::regclass::text, 'index', pg_relation_size(i.indexrelid)
FROM pg_index i WHERE i.indrelid = %(table)s::regclass
UNION ALL
SELECT c.relname, 'total', pg_total_relation_size(c.oid)
FROM pg_class c WHERE c.oid = %(table)s::regclass
"""


def report_size(url: str, label: str) -> float:
    """Print the bytes per run of the run and component tables; return the total per run."""
    with psycopg.connect(url) as connection:
        runs, components = connection.execute(
            "SELECT (SELECT count(*) FROM perfmetrics_run),"
            " (SELECT count(*) FROM perfmetrics_component)"
        ).fetchone() or (0, 0)
        rows = [
            row
            for table in ("perfmetrics_run", "perfmetrics_component")
            for row in connection.execute(SIZES, {"table": table}).fetchall()
        ]
    print(f"\nbytes per stored run, {label}: {runs:,} runs, {components:,} components")
    print(f"  {'relation':<44}{'kind':<7}{'MB':>10}{'bytes/run':>11}")
    total = 0
    for name, kind, size in rows:
        if kind == "total":
            total += size
        print(f"  {name:<44}{kind:<7}{size / 1048576:>10.1f}{size / runs:>11.1f}")
    per_run = float(total / runs)
    verdict = "met" if per_run <= TARGET_BYTES_PER_RUN else "MISSED"
    megabytes = total / 1048576
    print(f"  total {megabytes:.1f} MB = {per_run:.0f} bytes per run (target <= 2048: {verdict})")
    return per_run


def run_size(base_url: str, arguments: argparse.Namespace) -> None:
    # Only the large database: the window shifts leave up to 2 x WINDOW_RUNS rows' worth
    # of reusable free space, negligible in 1m but a fifth of the 10k tables.
    url = prepare_run_database(base_url, "1m", reseed=arguments.reseed)
    report_size(url, "1m")


SECTIONS = {"overhead": run_overhead, "metrics": run_metrics, "size": run_size}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="Measured requests per server.")
    parser.add_argument("--warmup", type=int, default=20, help="Unmeasured requests per server.")
    parser.add_argument("--reseed", action="store_true", help="Rebuild the databases.")
    parser.add_argument("--only", choices=sorted(SECTIONS), help="Run one benchmark only.")
    parser.add_argument(
        "--explain", action="store_true", help="Print the metrics statements' plans on 1m."
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    base_url = require_database_url()
    for name, section in SECTIONS.items():
        if arguments.only in (None, name):
            section(base_url, arguments)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
