"""Operator actions on daily-scrum schedules."""

from __future__ import annotations

from django.db import transaction

from .. import selectors
from ..exceptions import NotFoundError
from . import sprints


def deactivate_project_schedule(*, project_id: str, name: str) -> selectors.ScheduleState:
    """Deactivate one of the project's schedules and return its state.

    Idempotent: an already inactive schedule keeps its deactivation time. Raises
    ProjectNotFoundError or NotFoundError. Takes the project's row lock, like every
    change to a project's sprints and schedules.
    """
    with transaction.atomic():
        selectors.get_project(project_id, lock=True)
        sprints.deactivate_schedule(project_id=project_id, name=name)
        state = selectors.project_schedule(project_id, name)
    if state is None:
        raise NotFoundError(f"Project {project_id!r} has no schedule named {name!r}.")
    return state
