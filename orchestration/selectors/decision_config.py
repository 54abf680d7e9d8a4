"""The one reader of a project's decision configuration (docs/design.md §2, §3.4).

A project's own DecisionModeConfig row wins; a project without one uses the global
default of ``settings.ORCHESTRATION``, read on each call so ``override_settings`` works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.conf import settings

from ..engine.values import DecisionConfig, DecisionMode
from ..exceptions import ProjectNotFoundError
from ..models import DecisionModeConfig, Project


class DecisionConfigSource(StrEnum):
    PROJECT = "project"
    DEFAULT = "default"


@dataclass(frozen=True)
class ProjectDecisionConfig:
    """The configuration a project's decisions use, and where it comes from."""

    project_id: str
    config: DecisionConfig
    source: DecisionConfigSource
    updated_at: datetime | None


def project_decision_config(project_id: str) -> ProjectDecisionConfig:
    """The project's own configuration or the settings default; ProjectNotFoundError. One query."""
    project = Project.objects.select_related("decision_config").filter(pk=project_id).first()
    if project is None:
        raise ProjectNotFoundError(project_id)
    try:
        return decision_config_of(project.decision_config)
    except DecisionModeConfig.DoesNotExist:
        return ProjectDecisionConfig(
            project_id=project.pk,
            config=_settings_default(),
            source=DecisionConfigSource.DEFAULT,
            updated_at=None,
        )


def decision_config_of(row: DecisionModeConfig) -> ProjectDecisionConfig:
    """A project's own row, already in hand, as its effective configuration (no query)."""
    return ProjectDecisionConfig(
        project_id=row.project_id,
        config=DecisionConfig(
            mode=DecisionMode(row.mode),
            confidence_threshold=row.confidence_threshold,
            enable_task_count_adjustment=row.enable_task_count_adjustment,
            enable_sprint_duration_adjustment=row.enable_sprint_duration_adjustment,
            min_similar_projects=row.min_similar_projects,
            max_task_adjustment_percent=row.max_task_adjustment_percent,
        ),
        source=DecisionConfigSource.PROJECT,
        updated_at=row.updated_at,
    )


def _settings_default() -> DecisionConfig:
    defaults: dict[str, Any] = settings.ORCHESTRATION
    return DecisionConfig(
        mode=DecisionMode(defaults["DECISION_MODE"]),
        confidence_threshold=float(defaults["CONFIDENCE_THRESHOLD"]),
        enable_task_count_adjustment=bool(defaults["ENABLE_TASK_COUNT_ADJUSTMENT"]),
        enable_sprint_duration_adjustment=bool(defaults["ENABLE_SPRINT_DURATION_ADJUSTMENT"]),
        min_similar_projects=int(defaults["MIN_SIMILAR_PROJECTS"]),
        max_task_adjustment_percent=float(defaults["MAX_TASK_ADJUSTMENT_PERCENT"]),
    )
