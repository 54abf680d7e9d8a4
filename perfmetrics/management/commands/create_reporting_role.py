"""Create or update the read-only reporting role (docs/sql-reporting.md).

The outcome goes to stdout, warnings to stderr; ``-v 2`` also states the role, database
and statement timeout first, on stderr.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from perfmetrics.sql_reporting import (
    DEFAULT_ROLE,
    DEFAULT_STATEMENT_TIMEOUT,
    ReportingRoleError,
    create_reporting_role,
)


def reporting_password() -> str:
    """``REPORTING_DB_PASSWORD``, or the file ``REPORTING_DB_PASSWORD_FILE`` names."""
    path = os.environ.get("REPORTING_DB_PASSWORD_FILE", "")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise CommandError(f"Cannot read REPORTING_DB_PASSWORD_FILE: {exc}") from None
    return os.environ.get("REPORTING_DB_PASSWORD", "")


class Command(BaseCommand):
    help = (
        "Create or update a LOGIN role that can SELECT the perfmetrics reporting views and "
        "nothing else. Name from REPORTING_DB_USER (default orchestrator_reporting), password "
        "from REPORTING_DB_PASSWORD or REPORTING_DB_PASSWORD_FILE. Safe to run again."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--statement-timeout",
            default=DEFAULT_STATEMENT_TIMEOUT,
            help=f"statement_timeout of the role's sessions (default {DEFAULT_STATEMENT_TIMEOUT}).",
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = os.environ.get("REPORTING_DB_USER", "") or DEFAULT_ROLE
        password = reporting_password()
        if not password:
            raise CommandError(
                "Set REPORTING_DB_PASSWORD (or REPORTING_DB_PASSWORD_FILE) to the role's password."
            )
        if options["verbosity"] >= 2:
            # Unstyled: Django styles stderr as an error on a terminal.
            self.stderr.write(
                f"Role {name} on database {options['database']!r}, statement_timeout "
                f"{options['statement_timeout']}.",
                style_func=lambda line: line,
            )
        try:
            report = create_reporting_role(
                name=name,
                password=password,
                statement_timeout=options["statement_timeout"],
                using=options["database"],
            )
        except ReportingRoleError as exc:
            raise CommandError(str(exc)) from None
        verb = "Created" if report.created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} role {report.name}: SELECT on {', '.join(report.views)}.")
        )
        if report.other_readable:
            self.stderr.write(
                self.style.WARNING(
                    "It can also read, through PUBLIC grants or role memberships: "
                    + ", ".join(report.other_readable)
                )
            )
        if report.can_create_in_schema:
            self.stderr.write(
                self.style.WARNING(
                    "PUBLIC may create objects in the schema (PostgreSQL < 15 default); "
                    "consider REVOKE CREATE ON SCHEMA public FROM PUBLIC."
                )
            )
