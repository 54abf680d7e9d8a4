"""``manage.py perftest``: the performance test plan of docs/design.md §5 over real HTTP.

Exit status: 0 when every check passed, 1 when a check failed (they are listed at the
end of the report), 2 for a usage problem (one line on stderr), 130 when interrupted.
The report goes to stdout (``--json -``: the JSON report, the text one then on stderr);
the phases' progress to stderr (none with ``-v 0``; ``-v 2`` also names the target, the
label and the plan first). ``--junit FILE`` writes one JUnit test case per check,
``--html FILE`` the report as a page with charts.
"""

from __future__ import annotations

import json
import os
from argparse import ArgumentTypeError
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import connection
from django.utils import timezone

from orchestration.management.progress import plain
from orchestration.perftest.client import Target
from orchestration.perftest.config import (
    DEFAULT_REQUESTS,
    PerftestConfig,
    ServerConfig,
    new_label,
    parse_duration,
    parse_rate,
)
from orchestration.perftest.errors import PerftestError
from orchestration.perftest.html import render_html
from orchestration.perftest.junit import render_junit
from orchestration.perftest.phases import Progress
from orchestration.perftest.progress import PhaseProgress
from orchestration.perftest.report import describe_load, render_report, report_to_json
from orchestration.perftest.runner import Baseline, run_perftest
from orchestration.perftest.runs import (
    LATEST_PASSING,
    check_baseline_name,
    load_baseline,
    load_latest_passing,
    perftest_token,
    record_perftest_run,
    require_project,
    require_unused_label,
    save_baseline,
)
from orchestration.perftest.server import database_url, local_server
from orchestration.perftest.values import Report

TOKEN_ENV = "PERFTEST_TOKEN"
# The deployed release, recorded with each stored run.
RELEASE_ENV = "APP_RELEASE"
UNKNOWN_RELEASE = "unknown"
# ``--json -``: the JSON goes to stdout.
STDOUT = "-"
OUTPUT_OPTIONS = ("--json", "--junit", "--html")


def argument(parse: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type from a parser that raises ValueError with the reason."""

    def convert(text: str) -> float:
        try:
            return parse(text)
        except ValueError as exc:
            raise ArgumentTypeError(str(exc)) from None

    return convert


def write_file(option: str, path: str, text: str) -> None:
    try:
        Path(path).write_text(text)
    except OSError as exc:
        raise CommandError(f"{option}: {exc}", returncode=2) from None


class Command(BaseCommand):
    help = (
        "Run the performance test plan (baseline, pattern recognition, metrics endpoint, "
        "concurrency) against a running server or a gunicorn server started for the test."
    )
    # Set per invocation by run_plan: whether stdout carries the JSON report, and the
    # compared report (the HTML report draws it beside this run).
    _json_on_stdout = False
    _baseline_report: dict[str, Any] | None = None

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def error(message: str) -> NoReturn:
            # Malformed values are usage errors too: one line and status 2, no usage dump.
            if parser.called_from_command_line:
                parser.exit(2, f"CommandError: {message}\n")
            raise CommandError(message, returncode=2)

        parser.error = error  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_argument_group("target")
        target.add_argument("--url", help="A running server; without it one is started.")
        target.add_argument(
            "--token", default=os.environ.get(TOKEN_ENV) or None, help=f"API token ({TOKEN_ENV})."
        )
        target.add_argument("--workers", type=int, default=2, help="Started server: workers.")
        target.add_argument("--threads", type=int, default=4, help="Started server: threads.")
        target.add_argument("--startup-timeout", type=float, default=30.0, metavar="SECONDS")
        plan = parser.add_argument_group("plan")
        plan.add_argument("--project", default="TEST-001")
        plan.add_argument(
            "--requests", type=int, help=f"Requests per phase (default {DEFAULT_REQUESTS})."
        )
        plan.add_argument(
            "--duration",
            type=argument(parse_duration),
            metavar="TIME",
            help="Run each phase for this long (60s, 2m) instead of a number of requests.",
        )
        plan.add_argument(
            "--rate",
            type=argument(parse_rate),
            metavar="RATE",
            help="Open model: the concurrent phase's requests arrive at this constant rate "
            "(50/s), sent by up to --concurrency connections; latency includes waiting.",
        )
        plan.add_argument(
            "--ramp",
            type=argument(parse_duration),
            default=0.0,
            metavar="TIME",
            help="Unmeasured ramp-up before the concurrent phase: workers start one after "
            "another, or with --rate the arrival rate grows from 0.",
        )
        plan.add_argument(
            "--concurrency",
            type=int,
            default=5,
            help="Concurrent workers in the last phase, each sending --requests requests.",
        )
        plan.add_argument("--warmup", type=int, default=5, help="Unmeasured requests first.")
        plan.add_argument("--mutate", action="store_true", help="Send dry_run false.")
        plan.add_argument(
            "--label",
            help="Names the test run; its runs are labelled <label>:<phase> "
            "(default: pt-<UTC time>-<hex>).",
        )
        plan.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS")
        verdict = parser.add_argument_group("verdict")
        verdict.add_argument(
            "--max-p95-factor",
            type=float,
            default=None,
            help="Concurrent p95 may be at most this multiple of the sequential p95 "
            "(default: --concurrency, what serving the requests one at a time would give).",
        )
        verdict.add_argument(
            "--min-throughput-ratio",
            type=float,
            default=1.0,
            help="Concurrent throughput must be at least this multiple of the sequential one.",
        )
        verdict.add_argument(
            "--compare",
            metavar="NAME",
            help=f"Compare with a saved baseline, or with '{LATEST_PASSING}': the newest "
            "passing stored run of the same project and options (none yet: no comparison).",
        )
        verdict.add_argument(
            "--tolerance",
            type=float,
            default=20.0,
            metavar="PERCENT",
            help="With --compare: allowed worsening of p50, p95 and throughput per phase.",
        )
        verdict.add_argument(
            "--save-baseline", metavar="NAME", help="Store this run's report if it passed."
        )
        verdict.add_argument(
            "--replace-baseline", action="store_true", help="Let --save-baseline overwrite."
        )
        output = parser.add_argument_group("output")
        output.add_argument(
            "--json",
            metavar="FILE",
            help="Also write the report as JSON; '-' writes it to stdout instead of the text "
            "report (which then goes to stderr, unless -v 0).",
        )
        output.add_argument("--junit", metavar="FILE", help="Write the checks as JUnit XML.")
        output.add_argument(
            "--html",
            metavar="FILE",
            help="Write the report as one self-contained HTML page with charts (with "
            "--compare, the baseline beside this run).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = self.run_plan(options)
        except PerftestError as exc:
            raise CommandError(str(exc), returncode=2) from None
        except KeyboardInterrupt:
            raise CommandError("interrupted; the test was stopped", returncode=130) from None
        data = report_to_json(report)
        record_perftest_run(report, data)
        self.write_outputs(report, data, options)
        if options["save_baseline"]:
            self._save_baseline(options["save_baseline"], report, data)
        if not report.passed:
            names = ", ".join(check.name for check in report.failed_checks)
            raise CommandError(
                f"perftest failed: {len(report.failed_checks)} of {len(report.checks)} checks "
                f"failed ({names})",
                returncode=1,
            )

    def write_outputs(self, report: Report, data: dict[str, Any], options: dict[str, Any]) -> None:
        """The text report on stdout, or the JSON there with ``--json -`` (the text then
        on stderr unless ``-v 0``); the files asked for."""
        if options["json"] == STDOUT:
            self.stdout.write(json.dumps(data, indent=2))
            if options["verbosity"] >= 1:
                self.stderr.write(render_report(report), style_func=plain)
        else:
            self.stdout.write(render_report(report))
        if options["json"] and options["json"] != STDOUT:
            write_file("--json", options["json"], json.dumps(data, indent=2) + "\n")
        if options["junit"]:
            write_file("--junit", options["junit"], render_junit(report))
        if options["html"]:
            write_file("--html", options["html"], render_html(data, self._baseline_report))

    @property
    def messages(self) -> OutputWrapper:
        """Where one-line notes go: stdout, unless it carries the JSON."""
        return self.stderr if self._json_on_stdout else self.stdout

    def run_plan(self, options: dict[str, Any]) -> Report:
        """Validate everything that can be checked before any request, then run."""
        self._json_on_stdout = options["json"] == STDOUT
        config, server = configs_of(options)
        target = Target.parse(options["url"]) if options["url"] else None
        if target is not None and not options["token"]:
            raise PerftestError(f"--url needs --token (or {TOKEN_ENV})")
        scope = config.comparable_options(target=options["url"] or server.target)
        baseline = check_preconditions(config, options, scope)
        self._baseline_report = dict(baseline.report) if baseline is not None else None
        if options["compare"] == LATEST_PASSING and baseline is None:
            self.messages.write(
                f"No passing run of {config.project_id} with these options yet: nothing to "
                "compare with.",
                style_func=plain,
            )
        with ExitStack() as stack:
            if target is None:
                target = stack.enter_context(
                    local_server(
                        database=database_url(connection.settings_dict),
                        workers=server.workers,
                        threads=server.threads,
                        startup_timeout_s=server.startup_timeout_s,
                    )
                )
            token = options["token"] or stack.enter_context(perftest_token())
            if options["verbosity"] >= 2:
                started = None if options["url"] else server
                self.stderr.write(describe_plan(config, target, started), style_func=plain)
            return run_perftest(
                config,
                target,
                token=token,
                progress=self._progress(options["verbosity"]),
                started_server=not options["url"],
                baseline=baseline,
                options=scope,
                release=os.environ.get(RELEASE_ENV, UNKNOWN_RELEASE),
            )

    def _progress(self, verbosity: int) -> Progress:
        return PhaseProgress(self.stderr, verbosity=verbosity)

    def _save_baseline(self, name: str, report: Report, data: dict[str, Any]) -> None:
        if not report.passed:
            self.messages.write(
                f"Baseline {name!r} not saved: the run failed its checks.", style_func=plain
            )
            return
        save_baseline(name, data)
        self.messages.write(f"Saved baseline {name!r}.", style_func=plain)


def configs_of(options: dict[str, Any]) -> tuple[PerftestConfig, ServerConfig]:
    """The options as validated configurations (PerftestError names a bad one)."""
    config = PerftestConfig(
        project_id=options["project"],
        label=options["label"] or new_label(timezone.now()),
        requests=options["requests"]
        if options["requests"] is not None or options["duration"] is not None
        else DEFAULT_REQUESTS,
        duration_s=options["duration"],
        rate_per_s=options["rate"],
        ramp_s=options["ramp"],
        concurrency=options["concurrency"],
        warmup=options["warmup"],
        dry_run=not options["mutate"],
        max_p95_factor=options["max_p95_factor"],
        min_throughput_ratio=options["min_throughput_ratio"],
        tolerance_percent=options["tolerance"],
        timeout_s=options["timeout"],
    )
    server = ServerConfig(
        workers=options["workers"],
        threads=options["threads"],
        startup_timeout_s=options["startup_timeout"],
    )
    return config, server


def describe_plan(config: PerftestConfig, target: Target, server: ServerConfig | None) -> str:
    """The ``-v 2`` preamble: where the requests go and what the test run is called."""
    started = (
        f" (gunicorn started for the test, {server.workers} workers x {server.threads} threads)"
        if server is not None
        else ""
    )
    return "\n".join(
        [
            f"Target: {target.url}{started}",
            f"Label: {config.label}",
            f"Plan: {config.warmup} warm-up, {describe_load(config)}, "
            f"{'dry run' if config.dry_run else 'mutating'}",
        ]
    )


def check_preconditions(
    config: PerftestConfig, options: dict[str, Any], scope: dict[str, Any]
) -> Baseline | None:
    """Project, label, baselines and output file, checked in the database before the run;
    returns the baseline to compare with, if any."""
    require_project(config.project_id)
    require_unused_label(config.label, now=timezone.now())
    if options["save_baseline"]:
        check_baseline_name(options["save_baseline"], replace=options["replace_baseline"])
    for option in OUTPUT_OPTIONS:
        path = options[option.lstrip("-")]
        if path and path != STDOUT and not Path(path).resolve().parent.is_dir():
            raise PerftestError(f"{option}: no directory for {path!r}")
    for option in OUTPUT_OPTIONS[1:]:
        if options[option.lstrip("-")] == STDOUT:
            raise PerftestError(f"{option} needs a file name; only --json may be '-'")
    if options["compare"] == LATEST_PASSING:
        found = load_latest_passing(scope)
        return Baseline(*found) if found is not None else None
    if options["compare"]:
        return Baseline(options["compare"], *load_baseline(options["compare"]))
    return None
