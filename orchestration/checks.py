"""System checks of the orchestration settings (``settings.ORCHESTRATION``).

Ids are stable: orchestration.E001 mode, E002 confidence threshold, E003 minimum
of similar projects, E004 maximum task adjustment, E005 the adjustment switches,
E006 the setting itself (missing, not a mapping, or missing keys).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

from .engine.patterns import MAX_SIMILAR_PROJECTS
from .engine.values import DecisionMode

REQUIRED_KEYS = (
    "DECISION_MODE",
    "CONFIDENCE_THRESHOLD",
    "ENABLE_TASK_COUNT_ADJUSTMENT",
    "ENABLE_SPRINT_DURATION_ADJUSTMENT",
    "MIN_SIMILAR_PROJECTS",
    "MAX_TASK_ADJUSTMENT_PERCENT",
)


def check_orchestration_settings(**kwargs: Any) -> list[CheckMessage]:
    """Every problem of ``settings.ORCHESTRATION``, each with its own id."""
    config = getattr(settings, "ORCHESTRATION", None)
    if not isinstance(config, Mapping):
        return [Error("settings.ORCHESTRATION must be a dict.", id="orchestration.E006")]
    missing = [key for key in REQUIRED_KEYS if key not in config]
    if missing:
        return [
            Error(
                f"settings.ORCHESTRATION misses {', '.join(missing)}.",
                id="orchestration.E006",
            )
        ]
    return [
        *_check_mode(config["DECISION_MODE"]),
        *_check_range(
            config["CONFIDENCE_THRESHOLD"], "CONFIDENCE_THRESHOLD", 0.0, 1.0, "orchestration.E002"
        ),
        *_check_min_similar(config["MIN_SIMILAR_PROJECTS"]),
        *_check_range(
            config["MAX_TASK_ADJUSTMENT_PERCENT"],
            "MAX_TASK_ADJUSTMENT_PERCENT",
            0.0,
            100.0,
            "orchestration.E004",
        ),
        *_check_switches(config),
    ]


def _check_mode(value: Any) -> list[CheckMessage]:
    modes = [m.value for m in DecisionMode]
    if value in modes:
        return []
    return [
        Error(
            f"ORCHESTRATION['DECISION_MODE'] is {value!r}.",
            hint=f"Use one of {', '.join(modes)} (env ORCHESTRATION_DECISION_MODE).",
            id="orchestration.E001",
        )
    ]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_range(
    value: Any, key: str, low: float, high: float, check_id: str
) -> list[CheckMessage]:
    if _is_number(value) and not math.isnan(value) and low <= value <= high:
        return []
    return [
        Error(
            f"ORCHESTRATION[{key!r}] is {value!r}; it must be a number in [{low:g}, {high:g}].",
            hint=f"Set env ORCHESTRATION_{key}.",
            id=check_id,
        )
    ]


def _check_min_similar(value: Any) -> list[CheckMessage]:
    if _is_number(value) and isinstance(value, int) and 1 <= value <= MAX_SIMILAR_PROJECTS:
        return []
    return [
        Error(
            f"ORCHESTRATION['MIN_SIMILAR_PROJECTS'] is {value!r}; it must be an integer "
            f"in [1, {MAX_SIMILAR_PROJECTS}].",
            hint=(
                f"At most {MAX_SIMILAR_PROJECTS} similar projects are ever kept, so a larger "
                "minimum never lets a task-count adjustment through. "
                "Set env ORCHESTRATION_MIN_SIMILAR_PROJECTS."
            ),
            id="orchestration.E003",
        )
    ]


def _check_switches(config: Mapping[str, Any]) -> list[CheckMessage]:
    return [
        Error(
            f"ORCHESTRATION[{key!r}] is {config[key]!r}; it must be True or False.",
            hint=f"Set env ORCHESTRATION_{key} to true or false.",
            id="orchestration.E005",
        )
        for key in ("ENABLE_TASK_COUNT_ADJUSTMENT", "ENABLE_SPRINT_DURATION_ADJUSTMENT")
        if not isinstance(config[key], bool)
    ]
