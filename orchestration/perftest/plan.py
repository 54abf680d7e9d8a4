"""The requests of the test plan as plain values, importable without Django settings, so
``manage.py perftest`` and the exploratory ``locustfile.py`` send the same request mix
(README, "Exploratory load")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..wire import ACTION, LABEL_HEADER, SOURCE_HEADER


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def orchestrate_call(
    project_id: str, *, pattern_recognition: bool, dry_run: bool, source: str, label: str
) -> Call:
    """One orchestration, its run tagged with ``source`` and ``label``."""
    return Call(
        method="POST",
        path=f"/orchestrate/project/{quote(project_id, safe='')}",
        body={
            "action": ACTION,
            "options": {"enable_pattern_recognition": pattern_recognition, "dry_run": dry_run},
        },
        headers={SOURCE_HEADER: source, LABEL_HEADER: label},
    )


def metrics_call(project_id: str) -> Call:
    """The project's performance metrics (not a recorded run, so untagged)."""
    return Call(
        method="GET",
        path=f"/orchestrate/intelligence/performance/metrics/{quote(project_id, safe='')}",
    )
