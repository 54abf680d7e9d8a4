"""The metrics-endpoint and size benchmarks of ``bench/perfmetrics.py``, on databases of
generated runs (``bench/generated_runs.py``)."""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from typing import Any

import psycopg

from bench import generated_runs
from bench.common import (
    HEADER,
    Call,
    Sample,
    Server,
    manage,
    measure_rounds,
    percentile,
    prepare_database,
    row_of,
    serving,
    warm_up,
)

PROJECT = "TEST-001"
METRICS_PATH = "/orchestrate/intelligence/performance/metrics"
REGRESSIONS_PATH = "/orchestrate/intelligence/performance/regressions"
WINDOW_RUNS = 1000
RUN_DATABASES = {"10k": 10_000, "1m": 1_000_000}
TARGET_METRICS_RATIO = 1.5
TARGET_BYTES_PER_RUN = 2048


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
    calls: dict[str, Call] = {scope: ("GET", path, None) for scope, path in metrics_paths().items()}
    warm_up(servers, list(calls.values()), rounds=warmup)
    return measure_rounds(servers, calls, rounds=requests)


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
            percentile([s.milliseconds for s in samples[scope, k]], 0.5) for k in RUN_DATABASES
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


def measure_regressions(
    servers: list[Server], *, requests: int, warmup: int
) -> dict[tuple[str, str], list[Sample]]:
    call: Call = ("GET", REGRESSIONS_PATH, None)
    warm_up(servers, [call], rounds=warmup)
    return measure_rounds(servers, {"regressions": call}, rounds=requests)


def report_regressions(samples: dict[tuple[str, str], list[Sample]]) -> None:
    """The regression endpoint: release 1.5.0 against 1.4.0 and the last hour against the
    hour before, on the newest 1000 successful runs of each side."""
    print(f"\nregression endpoint, GET {REGRESSIONS_PATH} (releases and windows)")
    print(HEADER)
    for label in RUN_DATABASES:
        values = [s.milliseconds for s in samples["regressions", label]]
        body: dict[str, Any] = dict(samples["regressions", label][-1].body)
        comparisons = body.get("comparisons", [])
        kinds = [
            f"{c['kind']} {c['baseline']}->{c['candidate']}: {len(c['components'])} components"
            for c in comparisons
            if isinstance(c, dict)
        ]
        print(row_of(f"regressions {label}", values))
        print(f"    {'; '.join(kinds)}; regressions found: {len(body.get('regressions', []))}")
    small, large = (
        percentile([s.milliseconds for s in samples["regressions", k]], 0.5) for k in RUN_DATABASES
    )
    print(f"  ratio 1m/10k of the medians {large / small:.3f}")


EXPLAIN_CODE = """
from django.db import connection
from perfmetrics import conf
from perfmetrics.selectors import window_statistics
from perfmetrics.values import Window
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
    with ExitStack() as stack:
        servers = [stack.enter_context(serving(label, url)) for label, url in urls.items()]
        samples = measure_metrics(servers, requests=arguments.requests, warmup=arguments.warmup)
        regressions = measure_regressions(
            servers, requests=arguments.requests, warmup=arguments.warmup
        )
    ratios = report_metrics(samples)
    report_regressions(regressions)
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
