"""Who is available during a sprint (docs/design.md §3.2, "Availability").

Pure: the holidays and absences are read by ``selectors.state.team_calendar`` for a
window wide enough for any sprint the call may open, and every window is cut here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction

from .values import Calendar, Conflict, ConflictType, SprintWindow

SATURDAY = 5


def days_of(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def working_days(calendar: Calendar, *, start: date, end: date) -> list[date]:
    """Days of [start, end] that are neither a weekend day nor a holiday."""
    holidays = {h.date for h in calendar.holidays}
    return [d for d in days_of(start, end) if d.weekday() < SATURDAY and d not in holidays]


def member_working_days(
    calendar: Calendar, team: Sequence[str], *, start: date, end: date
) -> dict[str, int]:
    """Each member's working days in [start, end] that no PTO of theirs covers."""
    days = working_days(calendar, start=start, end=end)
    result = {}
    for member in team:
        absences = [a for a in calendar.absences if a.employee_id == member]
        result[member] = sum(1 for d in days if not any(a.start <= d <= a.end for a in absences))
    return result


def team_capacity(calendar: Calendar, team: Sequence[str], *, start: date, end: date) -> Fraction:
    """Sum of the members' available working days / (members * working days), in [0, 1].

    1 without a team (nothing to scale by); 0 when the window has no working day.
    Exact, so that scaling a task count by it never rounds up by accident.
    """
    if not team:
        return Fraction(1)
    days = len(working_days(calendar, start=start, end=end))
    if days == 0:
        return Fraction(0)
    available = sum(member_working_days(calendar, team, start=start, end=end).values())
    return Fraction(available, len(team) * days)


def sprint_window(
    calendar: Calendar, team: Sequence[str], *, start: date, end: date
) -> SprintWindow:
    return SprintWindow(
        start=start,
        end=end,
        conflicts=conflicts_in(calendar, start=start, end=end),
        capacity=team_capacity(calendar, team, start=start, end=end),
        working_days=len(working_days(calendar, start=start, end=end)),
    )


def scale_by_capacity(rule_tasks: int, capacity: Fraction) -> int:
    """``ceil(capacity * rule_tasks)``, at least 1 when anyone is available, 0 when nobody is."""
    if capacity == 0 or rule_tasks == 0:
        return 0
    return max(1, math.ceil(capacity * rule_tasks))


def conflicts_in(calendar: Calendar, *, start: date, end: date) -> tuple[Conflict, ...]:
    """Holidays inside [start, end] and team PTO overlapping it, ordered by date; a PTO is
    dated at the later of its start and the window's start."""
    conflicts = [
        Conflict(type=ConflictType.HOLIDAY, date=h.date, name=h.name, details=h.details)
        for h in calendar.holidays
        if start <= h.date <= end
    ]
    conflicts += [
        Conflict(type=ConflictType.PTO, date=max(a.start, start), name=a.name, details=a.details)
        for a in calendar.absences
        if a.start <= end and a.end >= start
    ]
    return tuple(sorted(conflicts, key=lambda c: (c.date, c.type, c.name)))
