"""System checks of the PERFMETRICS setting; ids are stable (perfmetrics.E00N)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from .conf import DEFAULTS

POSITIVE_NUMBERS = ("TOTAL_MS", "MEMORY_INCREASE_MB", "REGRESSION_PERCENT")
POSITIVE_INTEGERS = (
    "WINDOW_MINUTES",
    "MIN_RUNS_FOR_TRENDS",
    "RESPONSE_WINDOW_RUNS",
    "REGRESSION_SAMPLE_RUNS",
    "REGRESSION_GAUGE_SECONDS",
    "TRACEBACK_BYTES",
)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@register()
def check_perfmetrics_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    configured = getattr(settings, "PERFMETRICS", {})
    if not isinstance(configured, dict):
        return [Error("PERFMETRICS must be a dict.", id="perfmetrics.E001")]
    errors: list[CheckMessage] = []
    unknown = sorted(set(configured) - set(DEFAULTS))
    if unknown:
        errors.append(
            Error(f"PERFMETRICS has unknown keys: {', '.join(unknown)}.", id="perfmetrics.E002")
        )
    merged = {**DEFAULTS, **configured}
    for key in POSITIVE_NUMBERS:
        if not _is_number(merged[key]) or merged[key] <= 0:
            errors.append(
                Error(f"PERFMETRICS['{key}'] must be a positive number.", id="perfmetrics.E003")
            )
    for key in POSITIVE_INTEGERS:
        if not isinstance(merged[key], int) or isinstance(merged[key], bool) or merged[key] < 1:
            errors.append(
                Error(f"PERFMETRICS['{key}'] must be an integer >= 1.", id="perfmetrics.E004")
            )
    rate = merged["SUCCESS_RATE"]
    if not _is_number(rate) or not 0 <= rate <= 1:
        errors.append(
            Error("PERFMETRICS['SUCCESS_RATE'] must be between 0 and 1.", id="perfmetrics.E005")
        )
    components = merged["COMPONENT_MS"]
    if not isinstance(components, dict) or not all(
        isinstance(k, str) and _is_number(v) and v > 0 for k, v in components.items()
    ):
        errors.append(
            Error(
                "PERFMETRICS['COMPONENT_MS'] must map component names to positive numbers.",
                id="perfmetrics.E006",
            )
        )
    alpha = merged["REGRESSION_ALPHA"]
    if not _is_number(alpha) or not 0 < alpha < 0.5:
        errors.append(
            Error("PERFMETRICS['REGRESSION_ALPHA'] must be in (0, 0.5).", id="perfmetrics.E008")
        )
    release = merged["RELEASE"]
    if not isinstance(release, str) or not release or len(release) > 64:
        errors.append(
            Error(
                "PERFMETRICS['RELEASE'] must be a string of 1..64 characters.",
                id="perfmetrics.E009",
            )
        )
    for key in ("ENABLED", "HTTP_METRICS", "TRACING"):
        if not isinstance(merged[key], bool):
            errors.append(Error(f"PERFMETRICS['{key}'] must be a boolean.", id="perfmetrics.E007"))
    return errors
