"""Use perfmetrics as another project would, and print what happened as JSON.

Run with ``DJANGO_SETTINGS_MODULE=perfmetrics.tests.standalone.settings`` and a
``DATABASE_URL`` naming an empty database: ``python -m perfmetrics.tests.standalone.scenario``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from typing import Any

import django

FOREIGN_PACKAGES = {"orchestration", "orchestrator_site"}


def import_every_module() -> list[str]:
    """Import each perfmetrics module (tests aside), so none can hide a foreign import."""
    import perfmetrics

    names = [
        info.name
        for info in pkgutil.walk_packages(perfmetrics.__path__, "perfmetrics.")
        if ".tests" not in info.name
    ]
    for name in names:
        importlib.import_module(name)
    return names


def record_a_run() -> None:
    from django.contrib.auth.models import Group

    from perfmetrics.measure import component
    from perfmetrics.services import measured_transaction

    with measured_transaction("checkout", project_id="shop"):
        with component("payment"):
            Group.objects.create(name="paid")
        with component("receipt"):
            pass


def read_back() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from perfmetrics.models import Run

    client = Client()
    anonymous = client.get("/perf/metrics", {"run_name": "checkout"})
    client.force_login(get_user_model().objects.create_superuser("operator"))
    metrics = client.get("/perf/metrics", {"run_name": "checkout"})
    changelist = client.get("/admin/perfmetrics/run/")
    return {
        "anonymous_status": anonymous.status_code,
        "metrics_status": metrics.status_code,
        "metrics": metrics.json(),
        "admin_status": changelist.status_code,
        "stored": [
            {
                "name": run.name,
                "project_id": run.project_id,
                "success": run.success,
                "components": sorted(c.name for c in run.components.all()),
            }
            for run in Run.objects.prefetch_related("components")
        ],
    }


def main() -> None:
    django.setup()
    from django.core.management import call_command

    modules = import_every_module()
    call_command("check", stdout=sys.stderr)
    call_command("migrate", interactive=False, verbosity=0)
    record_a_run()
    outcome = read_back()
    outcome["perfmetrics_modules"] = len(modules)
    outcome["foreign_modules"] = sorted(
        name for name in sys.modules if name.split(".")[0] in FOREIGN_PACKAGES
    )
    sys.stdout.write(json.dumps(outcome) + "\n")


if __name__ == "__main__":
    main()
