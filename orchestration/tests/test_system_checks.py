"""System checks of settings.ORCHESTRATION (orchestration.E001...E006)."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from orchestration.checks import check_orchestration_settings

GOOD = {
    "DECISION_MODE": "intelligence_enhanced",
    "CONFIDENCE_THRESHOLD": 0.5,
    "ENABLE_TASK_COUNT_ADJUSTMENT": True,
    "ENABLE_SPRINT_DURATION_ADJUSTMENT": False,
    "MIN_SIMILAR_PROJECTS": 3,
    "MAX_TASK_ADJUSTMENT_PERCENT": 50.0,
}


def error_ids() -> list[str | None]:
    return [message.id for message in check_orchestration_settings()]


def test_the_shipped_settings_pass():
    assert error_ids() == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"DECISION_MODE": "rule_based_only", "CONFIDENCE_THRESHOLD": 0},
        {"CONFIDENCE_THRESHOLD": 1, "MIN_SIMILAR_PROJECTS": 1},
        {"MIN_SIMILAR_PROJECTS": 10, "MAX_TASK_ADJUSTMENT_PERCENT": 0},
        {"MAX_TASK_ADJUSTMENT_PERCENT": 100},
    ],
)
def test_it_accepts_the_edges_of_each_range(settings, overrides):
    settings.ORCHESTRATION = {**GOOD, **overrides}

    assert error_ids() == []


@pytest.mark.parametrize(
    ("key", "value", "check_id"),
    [
        ("DECISION_MODE", "magic", "orchestration.E001"),
        ("DECISION_MODE", "", "orchestration.E001"),
        ("CONFIDENCE_THRESHOLD", 1.5, "orchestration.E002"),
        ("CONFIDENCE_THRESHOLD", -0.01, "orchestration.E002"),
        ("CONFIDENCE_THRESHOLD", float("nan"), "orchestration.E002"),
        ("CONFIDENCE_THRESHOLD", "0.5", "orchestration.E002"),
        ("CONFIDENCE_THRESHOLD", True, "orchestration.E002"),
        ("MIN_SIMILAR_PROJECTS", 0, "orchestration.E003"),
        ("MIN_SIMILAR_PROJECTS", 11, "orchestration.E003"),
        ("MIN_SIMILAR_PROJECTS", 2.5, "orchestration.E003"),
        ("MIN_SIMILAR_PROJECTS", True, "orchestration.E003"),
        ("MAX_TASK_ADJUSTMENT_PERCENT", 100.1, "orchestration.E004"),
        ("MAX_TASK_ADJUSTMENT_PERCENT", -5, "orchestration.E004"),
        ("ENABLE_TASK_COUNT_ADJUSTMENT", "yes", "orchestration.E005"),
        ("ENABLE_SPRINT_DURATION_ADJUSTMENT", 1, "orchestration.E005"),
    ],
)
def test_it_reports_each_bad_value_with_its_own_id(settings, key, value, check_id):
    settings.ORCHESTRATION = {**GOOD, key: value}

    (message,) = check_orchestration_settings()

    assert message.id == check_id
    assert key in message.msg


def test_it_reports_every_problem_at_once(settings):
    settings.ORCHESTRATION = {**GOOD, "DECISION_MODE": "x", "MAX_TASK_ADJUSTMENT_PERCENT": 500}

    assert error_ids() == ["orchestration.E001", "orchestration.E004"]


def test_it_names_the_missing_keys(settings):
    settings.ORCHESTRATION = {k: v for k, v in GOOD.items() if k != "MIN_SIMILAR_PROJECTS"}

    (message,) = check_orchestration_settings()

    assert message.id == "orchestration.E006"
    assert "MIN_SIMILAR_PROJECTS" in message.msg


def test_it_refuses_a_setting_that_is_not_a_mapping(settings):
    settings.ORCHESTRATION = ["DECISION_MODE"]

    assert error_ids() == ["orchestration.E006"]


def test_the_check_is_registered_with_django(settings):
    settings.ORCHESTRATION = {**GOOD, "CONFIDENCE_THRESHOLD": 2}

    assert "orchestration.E002" in [message.id for message in run_checks()]
    with pytest.raises(SystemCheckError, match=r"orchestration\.E002"):
        call_command("check")
