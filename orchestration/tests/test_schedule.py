from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestration.engine.rules import sprint_identifier
from orchestration.engine.schedule import CronError, schedule_name, validate_cron

DNS_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@pytest.mark.parametrize(
    "expression",
    [
        "0 14 * * 1-5",
        "*/15 * * * *",
        "0 9-17/2 1,15 JAN-jun mon-fri",
        "5/10 0 * * 7",
        "0  14 * * *",
    ],
)
def test_it_accepts_valid_cron_expressions(expression):
    assert validate_cron(expression) == " ".join(expression.split())


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 14 * *", "expected 5 fields"),
        ("0 14 * * * *", "expected 5 fields"),
        ("60 14 * * *", "minute: 60 is outside 0-59"),
        ("0 24 * * *", "hour: 24 is outside 0-23"),
        ("0 0 0 * *", "day of month: 0 is outside 1-31"),
        ("0 0 * 13 *", "month: 13 is outside 1-12"),
        ("0 0 * * 8", "day of week: 8 is outside 0-7"),
        ("*/0 * * * *", "step '0' must be a positive integer"),
        ("5-1 * * * *", "runs backwards"),
        ("a * * * *", "'a' is not a number"),
        ("0 14 * * 1-5; rm -rf /", "expected 5 fields"),
        # Unicode digits that str.isdigit() accepts: only ASCII digits are cron digits.
        ("0 \u00b2 * * *", "hour: '\u00b2' is not a number"),
        ("\u0663 * * * *", "minute: '\u0663' is not a number"),
        ("*/\u0663 * * * *", "step '\u0663' must be a positive integer"),
        ("0 1-\uff15 * * *", "hour: '\uff15' is not a number"),
    ],
)
def test_it_rejects_bad_cron_expressions_saying_why(expression, message):
    with pytest.raises(CronError, match=re.escape(message)):
        validate_cron(expression)


def test_schedule_names_are_lowercase_and_dns_safe():
    name = schedule_name("TEST-001", "TEST-001-S03")

    assert name == "run-dailyscrum-test-001-test-001-s03-592710cf0689"
    assert DNS_1123.match(name)


def test_long_schedule_names_are_shortened_with_a_stable_hash():
    project = "A-VERY-LONG_PROJECT.IDENTIFIER-THAT-GOES-ON"
    first = schedule_name(project, f"{project}-S01")
    second = schedule_name(project, f"{project}-S02")

    assert len(first) <= 52
    assert DNS_1123.match(first)
    assert first == schedule_name(project, f"{project}-S01")
    assert first != second


def test_project_ids_that_sanitise_alike_get_distinct_schedule_names():
    names = {
        schedule_name(project, sprint_identifier(project, 1))
        for project in ("COLL-1", "coll-1", "coll_1", "coll.1", "Coll-1")
    }

    assert len(names) == 5
    assert all(DNS_1123.match(n) and len(n) <= 52 for n in names)


IDS = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


@given(first=IDS, second=IDS, numbers=st.tuples(st.integers(1, 500), st.integers(1, 500)))
def test_distinct_project_and_sprint_pairs_never_share_a_schedule_name(first, second, numbers):
    a = (first, sprint_identifier(first, numbers[0]))
    b = (second, sprint_identifier(second, numbers[1]))

    name_a, name_b = schedule_name(*a), schedule_name(*b)

    assert DNS_1123.match(name_a)
    assert len(name_a) <= 52
    assert (name_a == name_b) == (a == b)
