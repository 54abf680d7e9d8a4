"""python manage.py demo_access: print a staff login, an API token and a curl to try.

All it prints is its result, on stdout at every ``--verbosity``: it has no progress.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...demo.profile import DEMO_PROJECT_ID
from ...services.access import DemoAccess, grant_demo_access


class Command(BaseCommand):
    help = (
        "Ensure a staff superuser with a new random password and an API token, and print "
        "them with the admin URL and a ready-to-paste curl example. Development only: it "
        "resets the user's password, so it refuses to run without DJANGO_DEBUG unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="Port the server listens on.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--username", default="admin")
        parser.add_argument("--force", action="store_true", help="Run even with DJANGO_DEBUG off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "demo_access resets a password; it runs with DJANGO_DEBUG=1 or with --force."
            )
        access = grant_demo_access(username=options["username"])
        base = f"http://{options['host']}:{options['port']}"
        self.stdout.write(render(access, base_url=base))


def render(access: DemoAccess, *, base_url: str) -> str:
    curl = (
        f"curl -X POST {base_url}/orchestrate/project/{DEMO_PROJECT_ID} "
        f"-H 'Authorization: Token {access.token}' -H 'Content-Type: application/json' "
        """-d '{"action": "analyze_and_orchestrate"}'"""
    )
    return "\n".join(
        [
            "Demo access (the password is new on every run):",
            f"  Admin      {base_url}/admin/",
            f"  Username   {access.username}",
            f"  Password   {access.password}",
            f"  API token  {access.token}",
            f"  API docs   {base_url}/api/docs/",
            "",
            "Try it:",
            f"  {curl}",
            "",
        ]
    )
