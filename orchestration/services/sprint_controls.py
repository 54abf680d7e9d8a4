"""Manual sprint controls: close a sprint now, or move its end date
(docs/design.md §3.7, "Sprint controls")."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from .. import selectors
from ..exceptions import ConflictError, NotFoundError
from ..models import Sprint, SprintControlAction, SprintControlAudit, SprintStatus
from . import sprints

MAX_EXTENSION_WEEKS = 4


def close_sprint_now(
    *, sprint_id: str, reason: str = "", requested_by: str = ""
) -> SprintControlAudit:
    """Close a sprint in progress exactly as orchestration does, and audit it.

    Takes the project row lock; raises NotFoundError, or ConflictError when the sprint is
    not in progress.
    """
    with transaction.atomic():
        sprint = _running_sprint_locked(sprint_id)
        sprints.close_sprint(project=sprint.project, sprint_id=sprint.pk)
        return SprintControlAudit.objects.create(
            project=sprint.project,
            sprint=sprint,
            action=SprintControlAction.CLOSE,
            reason=reason,
            previous_end_date=sprint.end_date,
            new_end_date=sprint.end_date,
            requested_by=requested_by,
        )


def extend_sprint(
    *, sprint_id: str, weeks: int, reason: str = "", requested_by: str = ""
) -> SprintControlAudit:
    """Move the end date of a sprint in progress ``weeks`` (1..4) weeks later, and audit it.

    Takes the project row lock; raises NotFoundError, or ConflictError when the sprint is
    not in progress.
    """
    with transaction.atomic():
        sprint = _running_sprint_locked(sprint_id)
        end = sprint.end_date + timedelta(weeks=weeks)
        Sprint.objects.filter(pk=sprint.pk).update(
            end_date=end, duration_weeks=sprint.duration_weeks + weeks
        )
        return SprintControlAudit.objects.create(
            project=sprint.project,
            sprint=sprint,
            action=SprintControlAction.EXTEND,
            reason=reason,
            previous_end_date=sprint.end_date,
            new_end_date=end,
            requested_by=requested_by,
        )


def _running_sprint_locked(sprint_id: str) -> Sprint:
    """The sprint, read again under its project's lock; in progress or ConflictError."""
    project_id = Sprint.objects.filter(pk=sprint_id).values_list("project_id", flat=True).first()
    if project_id is None:
        raise NotFoundError(f"Sprint {sprint_id!r} does not exist.")
    project = selectors.get_project(project_id, lock=True)
    sprint = Sprint.objects.get(pk=sprint_id)
    sprint.project = project
    if sprint.status != SprintStatus.IN_PROGRESS:
        raise ConflictError(f"Sprint {sprint_id!r} is not in progress (status {sprint.status}).")
    return sprint
