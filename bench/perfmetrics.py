"""Speed and size of the perfmetrics app (issue 3), in one run.

    make bench-perfmetrics          # or: python -m bench.perfmetrics [--requests 200]
                                    #     [--only overhead|metrics|size] [--reseed]

overhead
    The orchestrate endpoint (dry run of TEST-001, pattern recognition on) served by five
    gunicorn servers (one worker each) on one seeded database: perfmetrics off
    (``PERFMETRICS_ENABLED=false``); perfmetrics on with everything optional off; on with
    the Prometheus HTTP metrics (``PERFMETRICS_HTTP_METRICS``); on with OpenTelemetry traces
    exported to a local OTLP/HTTP receiver (``OTEL_EXPORTER_OTLP_ENDPOINT``); and
    perfmetrics off with django-silk's middleware on instead (``bench.settings_silk``).
    After a warm-up the requests go round-robin across the five, the order rotating every
    round. Prints the medians, p95s and the ratio (ours - off) / (silk - off) of each of
    ours (target <= 0.10 with everything optional off), the
    instrumentation's own accounting (``Run.overhead_ms``) and the SQL statements that
    recording adds to one request.
metrics
    The metrics endpoint, per project and global, over the last hour on two databases
    that hold the same runs in that hour (and in the hour before) but 10,000 and
    1,000,000 runs in all (see ``bench/generated_runs.py``). Requests alternate between
    the two servers. Prints the medians and their ratio (target <= 1.5), and checks that
    both databases answer the same statistics.
size
    Bytes per stored run at 1,000,000 runs (with the release column): run and component
    tables with their indexes and TOAST, divided by the runs, and the split (target <= 2 KB).

The metrics section also times the regression endpoint on both databases (release 1.5.0
against 1.4.0, and the last hour against the hour before).

Databases are created next to the one DATABASE_URL names and reused while the parameters
and the generating code are unchanged (``--reseed`` rebuilds them). Medians and p95s are
PostgreSQL's ``percentile_cont`` (``perfmetrics.statistics.percentile``), as the metrics
API and ``manage.py perftest`` compute them.
"""

from __future__ import annotations

import argparse
import sys

from bench.common import require_database_url
from bench.perfmetrics_overhead import run_overhead
from bench.perfmetrics_runs import run_metrics, run_size

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
