"""python manage.py run_daily_scrum: advance each active sprint by one day (docs/design.md §3.7).

Each sprint's outcome goes to stdout; ``-v 2`` also names the projects first, on stderr.
"""

from __future__ import annotations

import logging
import random
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from ... import selectors
from ...exceptions import ProjectNotFoundError
from ...services.daily_scrum import DailyScrumOutcome, run_daily_scrum
from ..progress import plain

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the daily scrum of each active sprint (or of --project): every unfinished task "
        "gains 5-30% progress and a daily-scrum report is written. One transaction per "
        "sprint, under the project lock; a sprint already reported for the date is skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", help="Only this project.")
        parser.add_argument(
            "--seed", type=int, help="Make the progress reproducible (per project and date)."
        )
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            help="Date of the report (YYYY-MM-DD); default today.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Without --date each project reports its own day (its time zone); the log line
        # names the server's date.
        report_date: date = options["date"] or timezone.localdate()
        project_ids = (
            [options["project"]] if options["project"] else selectors.projects_with_active_sprint()
        )
        if options["verbosity"] >= 2 and project_ids:
            self.stderr.write(
                f"Daily scrum of {report_date.isoformat()} for {len(project_ids)} project(s): "
                + ", ".join(project_ids),
                style_func=plain,
            )
        failures = [
            project_id
            for project_id in project_ids
            if not self.run_one(project_id, report_date=options["date"], seed=options["seed"])
        ]
        if failures:
            raise CommandError(f"Daily scrum failed for: {', '.join(failures)}")
        if not project_ids:
            self.stdout.write("No active sprints.")

    def run_one(self, project_id: str, *, report_date: date | None, seed: int | None) -> bool:
        """Run one project's daily scrum and report it; False when it failed. Without
        ``report_date`` the project's own day (its time zone) is reported."""
        seed_date = report_date or timezone.localdate()
        rng = random.Random(f"{seed}:{project_id}:{seed_date}") if seed is not None else None
        try:
            outcome = run_daily_scrum(project_id=project_id, report_date=report_date, rng=rng)
        except ProjectNotFoundError as exc:
            raise CommandError(exc.detail) from None
        except DatabaseError:
            logger.exception("daily scrum of %s failed", project_id)
            return False
        self.stdout.write(describe(outcome, report_date=outcome.report_date or seed_date))
        return True


def describe(outcome: DailyScrumOutcome, *, report_date: date) -> str:
    if outcome.sprint_id is None:
        return f"{outcome.project_id}: no active sprint, nothing to do."
    if outcome.already_reported:
        return f"{outcome.sprint_id}: already reported for {report_date.isoformat()}, skipped."
    return (
        f"{outcome.sprint_id}: {len(outcome.progressed)} task(s) advanced, "
        f"{outcome.completed_today} completed today (report {outcome.report_id})."
    )
