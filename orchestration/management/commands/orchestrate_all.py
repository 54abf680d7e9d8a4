"""python manage.py orchestrate_all: queue one orchestration job per project
(docs/design.md §6, "Background work"); the workers run them in parallel.

The count goes to stdout; progress to stderr (``-v 0`` silences it).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...engine.values import OrchestrationOptions
from ...services.jobs import defer_fleet_orchestration
from ..progress import ProgressReport


class Command(BaseCommand):
    help = (
        "Queue one orchestration job per project (source 'scheduler'); running workers "
        "(manage.py procrastinate worker) carry them out. A project with a job queued "
        "already keeps it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the projects; queue nothing."
        )
        parser.add_argument(
            "--project-prefix", default="", help="Only projects whose id starts with this."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        progress = ProgressReport(self.stderr, "projects", verbosity=options["verbosity"])
        fleet = defer_fleet_orchestration(
            options=OrchestrationOptions(),
            project_prefix=options["project_prefix"],
            dry_run=options["dry_run"],
            progress=progress,
        )
        if options["dry_run"]:
            self.stdout.write(f"Would queue {fleet.deferred} orchestration job(s).")
        else:
            self.stdout.write(
                f"Queued {fleet.deferred} orchestration job(s); "
                f"{fleet.already_queued} project(s) had one queued already."
            )
