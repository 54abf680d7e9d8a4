"""Daily-scrum schedules: cron validation and DNS-1123 safe names."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, tzinfo

from croniter import croniter

MAX_SCHEDULE_NAME = 52
_HASH_LENGTH = 12

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, lowest, highest, names that stand for numbers)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: i + 1 for i, name in enumerate(_MONTHS)}),
    ("day of week", 0, 7, {name: i for i, name in enumerate(_DAYS)}),
)


# Only ASCII digits: str.isdigit() also accepts "²" (int() then fails) and "٣" (int() reads 3).
_NUMBER = re.compile(r"[0-9]+")


def _is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None


class CronError(ValueError):
    """A cron expression that Kubernetes would refuse."""


def validate_cron(expression: str) -> str:
    """Return ``expression`` normalised to single spaces, or raise CronError saying why."""
    fields = expression.split()
    if len(fields) != len(_FIELDS):
        raise CronError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    for text, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        for part in text.split(","):
            _check_part(part, name, low, high, names)
    return " ".join(fields)


def _check_part(part: str, name: str, low: int, high: int, names: dict[str, int]) -> None:
    base, slash, step = part.partition("/")
    if slash and (not _is_number(step) or int(step) == 0):
        raise CronError(f"{name}: step {step!r} must be a positive integer")
    if base == "*":
        return
    first, dash, last = base.partition("-")
    start = _value(first, name, low, high, names)
    if dash:
        end = _value(last, name, low, high, names)
        if start > end:
            raise CronError(f"{name}: range {base!r} runs backwards")


def _value(text: str, name: str, low: int, high: int, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not _is_number(text):
        raise CronError(f"{name}: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{name}: {value} is outside {low}-{high}")
    return value


def schedule_name(project_id: str, sprint_id: str) -> str:
    """``run-dailyscrum-{project}-{sprint}-{suffix}``: DNS-1123 safe, at most 52 characters.

    The readable part is lowercased and sanitised, so distinct ids can read alike
    (``COLL-1``, ``coll-1``, ``coll_1``); the suffix is a hash of the exact ids, so the
    names of distinct (project, sprint) pairs differ (docs/design.md §2).
    """
    exact = f"{project_id}/{sprint_id}"  # "/" never occurs in an id
    suffix = hashlib.sha256(exact.encode()).hexdigest()[:_HASH_LENGTH]
    raw = f"run-dailyscrum-{project_id}-{sprint_id}".lower()
    readable = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", raw)).strip("-")
    prefix = readable[: MAX_SCHEDULE_NAME - _HASH_LENGTH - 1].rstrip("-")
    return f"{prefix}-{suffix}"


def next_fire_time(cron: str, *, after: datetime, zone: tzinfo = UTC) -> datetime:
    """The first time strictly after ``after`` at which ``cron`` fires, read in ``zone``.

    The one place cron expressions are evaluated (docs/design.md §6, "Background
    work"): a schedule is due when this is at or before now, with ``after`` its last
    run (or its creation). ``zone`` is the project's time zone, UTC by default; the
    answer is an aware datetime in UTC.
    """
    start = after.astimezone(zone)
    fire: datetime = croniter(cron, start).get_next(datetime)
    return fire.astimezone(UTC)
