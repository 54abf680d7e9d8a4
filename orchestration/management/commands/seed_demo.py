"""python manage.py seed_demo: a deterministic synthetic history (see orchestration.demo).

The summary goes to stdout; progress goes to stderr (none with ``-v 0``, the parameters
too with ``-v 2``).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ...demo.load import DemoDataExistsError, SeedSummary, has_projects, seed_demo
from ...demo.profile import DEMO_PROJECT_ID, DemoParameters
from ..progress import ProgressReport, plain

DEFAULTS = DemoParameters(today=date.min)


class Command(BaseCommand):
    help = (
        f"Load a deterministic synthetic history: {DEMO_PROJECT_ID} (history, an open backlog, "
        "no active sprint) plus generated projects with closed sprints, retrospectives and "
        "history features. Everything is written in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--projects", type=int, default=DEFAULTS.projects)
        parser.add_argument(
            "--sprints", type=int, default=DEFAULTS.sprints, help="Closed sprints per project."
        )
        parser.add_argument("--team-min", type=int, default=DEFAULTS.team_min)
        parser.add_argument("--team-max", type=int, default=DEFAULTS.team_max)
        parser.add_argument(
            "--backlog",
            type=int,
            default=DEFAULTS.backlog,
            help="New unassigned tasks per project, on top of unfinished ones.",
        )
        parser.add_argument("--seed", type=int, default=DEFAULTS.seed)
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="Date the history leads up to (YYYY-MM-DD); default today.",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any project exists."
        )
        mode.add_argument(
            "--replace", action="store_true", help="Delete all domain data before seeding."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        params = self.parameters(options)
        if options["if_empty"] and has_projects():
            self.stdout.write("Projects exist already; demo data not loaded (--if-empty).")
            return
        if options["verbosity"] >= 2:
            self.stderr.write(describe_parameters(params), style_func=plain)
        started = time.perf_counter()
        try:
            summary = seed_demo(
                params,
                replace=options["replace"],
                on_progress=ProgressReport(self.stderr, "projects", verbosity=options["verbosity"]),
            )
        except DemoDataExistsError as exc:
            raise CommandError(exc.detail) from None
        self.report(summary, seconds=time.perf_counter() - started)

    def parameters(self, options: dict[str, Any]) -> DemoParameters:
        params = DemoParameters(
            today=options["today"] or timezone.localdate(),
            projects=options["projects"],
            sprints=options["sprints"],
            team_min=options["team_min"],
            team_max=options["team_max"],
            backlog=options["backlog"],
            seed=options["seed"],
        )
        problems = params.problems()
        if problems:
            raise CommandError("; ".join(problems))
        return params

    def report(self, summary: SeedSummary, *, seconds: float) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.projects} projects, {summary.employees} employees, "
                f"{summary.sprints} sprints, {summary.tasks} tasks, {summary.snapshots} task "
                f"snapshots, {summary.retrospectives} retrospectives, {summary.pto} PTO and "
                f"{summary.holidays} holidays in {seconds:.1f}s."
            )
        )


def describe_parameters(params: DemoParameters) -> str:
    return (
        f"Seeding {params.projects} projects with {params.sprints} closed sprints each, "
        f"teams of {params.team_min}-{params.team_max}, {params.backlog} new backlog tasks, "
        f"seed {params.seed}, history up to {params.today.isoformat()}."
    )
