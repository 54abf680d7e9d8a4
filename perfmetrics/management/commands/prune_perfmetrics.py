"""Delete old runs after rolling them up into daily statistics (docs/design.md §5, retention).

The outcome goes to stdout; progress goes to stderr (none with ``-v 0``; ``-v 2`` also
states the age and batch size first).
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from perfmetrics import conf
from perfmetrics.retention import (
    DEFAULT_BATCH_SIZE,
    Progress,
    PruneInProgressError,
    PruneResult,
    parse_age,
    prune_runs,
)

MAX_BATCH_SIZE = 100_000


def age(text: str) -> timedelta:
    try:
        return parse_age(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def batch_size(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_BATCH_SIZE:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_BATCH_SIZE}")
    return int(text)


def describe_age(age: timedelta) -> str:
    """The age as --older-than takes it: whole days as ``30d``, otherwise hours."""
    if age % timedelta(days=1) == timedelta(0):
        return f"{age.days}d"
    return f"{age // timedelta(hours=1)}h"


class Command(BaseCommand):
    help = (
        "Roll runs older than an age up into daily statistics (whole UTC days), then delete "
        "them and their components in short batches. Safe to repeat and to run while the "
        "service records runs."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--older-than",
            type=age,
            default=None,
            help='Age like "30d" or "12h" (default: PERFMETRICS["RETENTION_DAYS"] days).',
        )
        parser.add_argument("--dry-run", action="store_true", help="Report; write nothing.")
        parser.add_argument(
            "--batch-size",
            type=batch_size,
            default=DEFAULT_BATCH_SIZE,
            help=f"Runs deleted per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        older_than = options["older_than"] or timedelta(days=int(conf.get("RETENTION_DAYS")))
        verbosity = options["verbosity"]
        if verbosity >= 2:
            self.note(
                f"Pruning runs older than {describe_age(older_than)} in batches of "
                f"{options['batch_size']}{' (dry run)' if options['dry_run'] else ''}."
            )
        try:
            result = prune_runs(
                older_than=older_than,
                batch_size=options["batch_size"],
                dry_run=options["dry_run"],
                progress=self.show_progress if verbosity >= 1 else None,
            )
        except PruneInProgressError as exc:
            raise CommandError(str(exc)) from None
        self.show_result(result, batch_size=options["batch_size"])

    def note(self, text: str) -> None:
        """Progress on stderr, unstyled: Django styles stderr as an error on a terminal."""
        self.stderr.write(text, style_func=lambda line: line)

    def show_progress(self, progress: Progress) -> None:
        if progress.day is not None:
            self.note(f"rolled up {progress.day}: {progress.rollup_rows} rows")
            return
        done, planned = progress.deleted.runs, progress.plan.runs
        self.note(
            f"deleted {done}/{planned} runs ({done / max(planned, 1):.0%}), "
            f"{progress.deleted.components} components, batch {progress.deleted.batches}"
        )

    def show_result(self, result: PruneResult, *, batch_size: int) -> None:
        plan = result.plan
        span = f"{plan.days[0]} .. {plan.days[-1]}" if plan.days else "none"
        if result.dry_run:
            batches = -(-plan.runs // batch_size)
            self.stdout.write(
                f"Dry run, nothing written. Runs started before {plan.cutoff.isoformat()}: "
                f"would roll up {len(plan.days)} days ({span}) and delete {plan.runs} runs "
                f"and {plan.components} components in {batches} batches of {batch_size}."
            )
            return
        deleted = result.deleted
        self.stdout.write(
            self.style.SUCCESS(
                f"Pruned runs started before {plan.cutoff.isoformat()}: rolled up "
                f"{len(plan.days)} days ({span}, {result.rollup_rows} rows), deleted "
                f"{deleted.runs} runs and {deleted.components} components in "
                f"{deleted.batches} batches."
            )
        )
