"""The instrumentation-overhead benchmark of ``bench/perfmetrics.py``: perfmetrics off; on
with everything optional off; on with Prometheus HTTP metrics; on with OpenTelemetry traces
exported to a local OTLP/HTTP receiver; and django-silk instead, on one seeded database."""

from __future__ import annotations

import argparse
import json
import re
from contextlib import ExitStack
from dataclasses import dataclass

import psutil
import psycopg

from bench.common import (
    HEADER,
    ORCHESTRATE,
    ORCHESTRATE_BODY,
    ORCHESTRATE_PATH,
    Sample,
    Server,
    manage,
    measure_rounds,
    percentile,
    prepare_database,
    row_of,
    seed_marker,
    serving,
    warm_up,
)
from bench.otlp_receiver import Receiver, receiving

SILK_SETTINGS = "bench.settings_silk"
OVERHEAD_DATABASE = "orchestrator_bench_overhead"
OVERHEAD_SEED = ["--projects", "100", "--sprints", "20", "--seed", "1", "--replace"]
TARGET_OVERHEAD_RATIO = 0.10
# Every optional feature off unless a variant turns it on.
OPTIONAL_OFF = {"PERFMETRICS_HTTP_METRICS": "false", "OTEL_EXPORTER_OTLP_ENDPOINT": ""}
# Our variants, each compared with "off" and "silk"; the target applies to the first.
OURS = ("perfmetrics", "perfmetrics+http", "perfmetrics+otel")


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
    call = ORCHESTRATE
    warm_up(servers, [call], rounds=warmup)
    cpu_before = {server.label: worker_cpu_seconds(server) for server in servers}
    measured = measure_rounds(servers, {"orchestrate": call}, rounds=requests)
    cpu_ms = {
        server.label: (worker_cpu_seconds(server) - cpu_before[server.label]) * 1000 / requests
        for server in servers
    }
    samples = {server.label: measured["orchestrate", server.label] for server in servers}
    return OverheadSamples(samples, cpu_ms)


# The shell serves no static files, so whitenoise's warning that STATIC_ROOT was never
# collected is noise here (the test settings ignore it for the same reason).
STATEMENTS_CODE = """
import json
import warnings
warnings.filterwarnings('ignore', 'No directory at', UserWarning)
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
    medians = {label: percentile(values, 0.5) for label, values in latencies.items()}
    silk = medians["silk"] - medians["off"]
    cpu = measured.cpu_ms
    print(f"\n  silk - off = {silk:+.2f} ms (medians), {cpu['silk'] - cpu['off']:+.2f} ms CPU")
    for label in OURS:
        ours = medians[label] - medians["off"]
        ratio = ours / silk if silk else float("inf")
        target = ""
        if label == OURS[0]:
            verdict = "met" if ratio <= TARGET_OVERHEAD_RATIO else "MISSED"
            target = f" (target <= 0.10: {verdict})"
        paired = percentile(
            [a - b for a, b in zip(latencies[label], latencies["off"], strict=True)], 0.5
        )
        silk_paired = percentile(
            [a - b for a, b in zip(latencies["silk"], latencies["off"], strict=True)], 0.5
        )
        cpu_ratio = (cpu[label] - cpu["off"]) / (cpu["silk"] - cpu["off"])
        print(
            f"  {label}: {ours:+.2f} ms, ratio (ours - off) / (silk - off) = {ratio:.3f}{target};"
            f" per-round differences ratio {paired / silk_paired:.3f};"
            f" worker CPU {cpu[label] - cpu['off']:+.2f} ms, ratio {cpu_ratio:.3f}"
        )
    report_recorded(url, samples)
    report_statements(url)


def report_recorded(url: str, samples: dict[str, list[Sample]]) -> None:
    """What each instrumentation stored about the measured requests."""
    run_ids = [int(str(s.body["run_id"])) for s in samples["perfmetrics"]]
    stray = [s.body.get("run_id") for s in samples["off"] + samples["silk"] if s.body.get("run_id")]
    recorded = {label: sum(1 for s in samples[label] if s.body.get("run_id")) for label in OURS}
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
    print(f"  runs recorded by each of ours: {recorded}")
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
    with ExitStack() as stack:
        receiver: Receiver = stack.enter_context(receiving())
        variants = {
            "off": {"PERFMETRICS_ENABLED": "false"},
            "perfmetrics": {"PERFMETRICS_ENABLED": "true"},
            "perfmetrics+http": {"PERFMETRICS_ENABLED": "true", "PERFMETRICS_HTTP_METRICS": "true"},
            "perfmetrics+otel": {
                "PERFMETRICS_ENABLED": "true",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                # Export promptly, as a collector nearby would be sent to.
                "OTEL_BSP_SCHEDULE_DELAY": "500",
            },
        }
        servers = [
            stack.enter_context(serving(label, url, environment={**OPTIONAL_OFF, **environment}))
            for label, environment in variants.items()
        ]
        servers.append(
            stack.enter_context(
                serving(
                    "silk",
                    url,
                    environment={**OPTIONAL_OFF, "PERFMETRICS_ENABLED": "false"},
                    settings=SILK_SETTINGS,
                )
            )
        )
        samples = measure_overhead(servers, requests=arguments.requests, warmup=arguments.warmup)
        print(f"\n  OTLP receiver: {receiver.spans} spans in {receiver.exports} exports")
    report_overhead(url, samples)
