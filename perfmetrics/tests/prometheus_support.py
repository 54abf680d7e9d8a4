"""Reading ``/metrics`` in tests, and a separate process that records runs or scrapes.

prometheus_client picks its storage when first imported, so multiprocess mode is
tested in fresh interpreters: ``python -m perfmetrics.tests.prometheus_support
record NAME SUCCEEDED FAILED`` records runs, ``... scrape`` prints ``/metrics``.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition, keyed by sample name and label set."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, sample: str, /, **labels: str) -> float | None:
    return samples.get((sample, frozenset(labels.items())))


def database_url() -> str:
    """``DATABASE_URL`` pointed at the database Django uses now (the test database).

    For this app's own tests, which import nothing of the project around it; the
    project's tests use ``orchestrator_site.tests.live_servers.database_url``."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


def _record(name: str, succeeded: int, failed: int) -> None:
    from perfmetrics.measure import component
    from perfmetrics.services import measured_transaction

    for _ in range(succeeded):
        with measured_transaction(name, source="cli"), component(f"{name}-step"):
            pass
    for _ in range(failed):
        try:
            with measured_transaction(name, source="cli"), component(f"{name}-step"):
                raise ValueError("planned failure")
        except ValueError:
            pass


def _scrape() -> None:
    from django.test import Client

    response = Client().get("/metrics")
    assert response.status_code == 200, response.status_code
    sys.stdout.write(response.content.decode())


def main(argv: list[str]) -> None:
    import django

    django.setup()
    if argv[0] == "record":
        _record(argv[1], int(argv[2]), int(argv[3]))
    else:
        _scrape()


if __name__ == "__main__":
    main(sys.argv[1:])
