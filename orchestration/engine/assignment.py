"""Who gets the next task of a sprint (docs/design.md §3.3, "Assignment")."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping


def next_assignee(eligible: list[str], load: Mapping[str, int], *, last: str) -> str:
    """The member with the fewest open tasks in the sprint; ties go to the first member
    after ``last`` in employee-id order, wrapping around.

    ``eligible`` is sorted and not empty; ``last`` is the project's rotation, an employee
    id that need not be a member any more ("" to start at the first member).
    """
    after = bisect_right(eligible, last)
    order = eligible[after:] + eligible[:after]
    return min(order, key=lambda member: int(load.get(member, 0)))
