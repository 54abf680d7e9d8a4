"""What a closed sprint's retrospective says (docs/design.md §3.3), from its task counts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetrospectiveContent:
    what_went_well: str
    what_could_be_improved: str
    action_items: tuple[str, ...]
    completion_rate: float
    total: int
    completed: int
    in_progress: int
    not_started: int

    @property
    def tasks_summary(self) -> dict[str, int]:
        """The JSON stored with the retrospective."""
        return {
            "total": self.total,
            "completed": self.completed,
            "in_progress": self.in_progress,
            "not_started": self.not_started,
        }


def describe_retrospective(
    *, total: int, completed: int, in_progress: int, not_started: int, earlier_open: int = 0
) -> RetrospectiveContent:
    """The retrospective of a sprint that held ``total`` tasks and completed ``completed``.

    ``in_progress`` and ``not_started`` split the pending tasks by whether any work
    was done on them; each kind of leftover gets an action item. ``earlier_open`` action
    items of earlier retrospectives are still open, and the retrospective says so.
    """
    rate = completed / total if total else 0.0
    pending = total - completed
    if total == 0:
        went_well = "The sprint closed cleanly; it held no tasks."
    elif pending == 0:
        went_well = f"All {total} task(s) were completed."
    else:
        went_well = f"{completed} of {total} task(s) were completed ({rate:.0%})."
    improve = (
        "Nothing was left pending."
        if pending == 0
        else f"{pending} task(s) were not finished and went back to the backlog."
    )
    if earlier_open:
        improve += f" {earlier_open} action item(s) from earlier retrospectives are still open."
    items = []
    if in_progress:
        items.append(f"Address {in_progress} tasks that are still in progress.")
    if not_started:
        items.append(f"Re-plan {not_started} tasks that were never started.")
    if total and rate < 0.5:
        items.append(f"Reduce the sprint scope: only {rate:.0%} of the tasks were completed.")
    return RetrospectiveContent(
        what_went_well=went_well,
        what_could_be_improved=improve,
        action_items=tuple(items),
        completion_rate=rate,
        total=total,
        completed=completed,
        in_progress=in_progress,
        not_started=not_started,
    )
