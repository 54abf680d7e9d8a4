"""Setting a project's decision configuration (docs/design.md §3.4)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import selectors
from ..engine.values import DecisionMode
from ..exceptions import InvalidInputError
from ..models import DecisionModeConfig


@dataclass(frozen=True)
class DecisionConfigChanges:
    """The fields to change; None keeps the current effective value."""

    mode: DecisionMode | None = None
    confidence_threshold: float | None = None
    enable_task_count_adjustment: bool | None = None
    enable_sprint_duration_adjustment: bool | None = None
    min_similar_projects: int | None = None
    max_task_adjustment_percent: float | None = None


def set_decision_config(
    *, project_id: str, changes: DecisionConfigChanges
) -> selectors.ProjectDecisionConfig:
    """Give the project its own configuration: ``changes`` on top of the effective one.

    The effective one is the project's row, or the settings default for a project
    without a row (which this call creates). Locks the project row; raises
    ProjectNotFoundError, or InvalidInputError when the merged values are out of
    range, and then writes nothing.
    """
    with transaction.atomic():
        selectors.get_project(project_id, lock=True)
        current = selectors.project_decision_config(project_id).config
        updates: dict[str, Any] = {
            f.name: getattr(changes, f.name)
            for f in fields(changes)
            if getattr(changes, f.name) is not None
        }
        merged = replace(current, **updates)
        row = DecisionModeConfig(
            project_id=project_id,
            mode=merged.mode.value,
            confidence_threshold=merged.confidence_threshold,
            enable_task_count_adjustment=merged.enable_task_count_adjustment,
            enable_sprint_duration_adjustment=merged.enable_sprint_duration_adjustment,
            min_similar_projects=merged.min_similar_projects,
            max_task_adjustment_percent=merged.max_task_adjustment_percent,
        )
        _validate(row)
        row.save()
    return selectors.decision_config_of(row)


def _validate(row: DecisionModeConfig) -> None:
    """The model's own ranges; only values inherited from bad settings can fail here."""
    try:
        # The field validators cover the check constraints; skip their extra queries.
        row.full_clean(exclude=["project"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        problems = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in sorted(exc.message_dict.items())
        )
        raise InvalidInputError(f"Invalid decision configuration: {problems}") from None
