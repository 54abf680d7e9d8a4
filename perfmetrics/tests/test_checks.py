from __future__ import annotations

import pytest
from django.test import override_settings

from perfmetrics.checks import check_perfmetrics_settings


def ids(**settings):
    with override_settings(PERFMETRICS=settings):
        return [error.id for error in check_perfmetrics_settings()]


def test_the_project_settings_pass():
    assert check_perfmetrics_settings() == []


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"TOTALMS": 5}, "perfmetrics.E002"),
        ({"TOTAL_MS": 0}, "perfmetrics.E003"),
        ({"TOTAL_MS": "fast"}, "perfmetrics.E003"),
        ({"MEMORY_INCREASE_MB": -1}, "perfmetrics.E003"),
        ({"WINDOW_MINUTES": 0}, "perfmetrics.E004"),
        ({"RESPONSE_WINDOW_RUNS": 2.5}, "perfmetrics.E004"),
        ({"SUCCESS_RATE": 1.5}, "perfmetrics.E005"),
        ({"COMPONENT_MS": {"full_pattern_analysis": 0}}, "perfmetrics.E006"),
        ({"COMPONENT_MS": ["x"]}, "perfmetrics.E006"),
        ({"ENABLED": "yes"}, "perfmetrics.E007"),
    ],
)
def test_each_bad_setting_has_its_stable_id(settings, expected):
    assert ids(**settings) == [expected]


def test_a_non_dict_setting_is_refused():
    with override_settings(PERFMETRICS=["nope"]):
        assert [e.id for e in check_perfmetrics_settings()] == ["perfmetrics.E001"]
