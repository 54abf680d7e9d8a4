from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from orchestration.perftest.client import Target
from orchestration.perftest.config import (
    MAX_LABEL_LENGTH,
    PerftestConfig,
    ServerConfig,
    new_label,
    parse_duration,
    parse_rate,
)
from orchestration.perftest.errors import PerftestError
from orchestration.perftest.phases import run_label, split
from orchestration.perftest.server import database_url
from orchestration.perftest.values import Phase
from orchestrator_site.settings import database_from_url


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"requests": 0}, "--requests must be between 1"),
        ({"requests": -1}, "--requests must be between 1"),
        ({"concurrency": 0}, "--concurrency must be between 1"),
        ({"concurrency": 100_000}, "--concurrency must be between 1"),
        ({"warmup": -1}, "--warmup must be between 0"),
        ({"max_p95_factor": 0.0}, "--max-p95-factor must be a number above 0"),
        ({"max_p95_factor": float("nan")}, "--max-p95-factor must be a number above 0"),
        ({"min_throughput_ratio": -1.0}, "--min-throughput-ratio must be a number above 0"),
        ({"tolerance_percent": -5.0}, "--tolerance must be 0 or more"),
        ({"timeout_s": 0.0}, "--timeout must be a number above 0"),
        ({"label": "has space"}, "--label must be"),
        ({"label": "x" * (MAX_LABEL_LENGTH + 1)}, "--label must be"),
        ({"project_id": ""}, "--project must not be empty"),
        ({"duration_s": 60.0}, "give --requests or --duration, not both"),
        ({"requests": None}, "give --requests or --duration, not both"),
        ({"requests": None, "duration_s": 0.0}, "--duration must be above 0"),
        ({"requests": None, "duration_s": 1e9}, "--duration must be above 0 and at most 86400s"),
        ({"rate_per_s": 0.0}, "--rate must be above 0"),
        ({"rate_per_s": float("inf")}, "--rate must be above 0"),
        ({"ramp_s": -1.0}, "--ramp must be above 0"),
    ],
)
def test_it_rejects_nonsense_settings_with_a_message_naming_the_option(changes, message):
    settings = {"project_id": "TEST-001", "label": "pt-1"} | changes

    with pytest.raises(PerftestError, match=message):
        PerftestConfig(**settings)


def test_concurrent_p95_may_grow_with_the_concurrency_unless_a_factor_is_given():
    assert PerftestConfig(project_id="P", label="pt-1", concurrency=8).p95_factor_limit == 8
    given = PerftestConfig(project_id="P", label="pt-1", concurrency=8, max_p95_factor=2.5)
    assert given.p95_factor_limit == 2.5


def test_it_rejects_a_server_without_workers():
    with pytest.raises(PerftestError, match="--workers"):
        ServerConfig(workers=0)


def test_the_longest_label_still_fits_the_header_with_every_phase():
    label = "x" * MAX_LABEL_LENGTH

    PerftestConfig(project_id="P", label=label)

    assert max(len(run_label(label, phase)) for phase in Phase) == 64


def test_a_generated_label_names_the_time_and_is_valid():
    label = new_label(datetime(2026, 11, 30, 9, 5, 1, tzinfo=UTC), "abc123")

    assert label == "pt-20261130T090501-abc123"
    assert PerftestConfig(project_id="P", label=new_label(datetime.now(UTC))).label


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://localhost:8000", Target("http", "localhost", 8000, "")),
        ("https://orchestrator.example/api/", Target("https", "orchestrator.example", 443, "/api")),
        ("http://10.0.0.5", Target("http", "10.0.0.5", 80, "")),
    ],
)
def test_urls_parse_into_targets(url, target):
    assert Target.parse(url) == target


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://host", "http://", "http://h:99999"])
def test_bad_urls_are_usage_errors(url):
    with pytest.raises(PerftestError, match="--url"):
        Target.parse(url)


@pytest.mark.parametrize(
    "settings_dict",
    [
        {"NAME": "db", "USER": "u", "PASSWORD": "p@ss:w/rd", "HOST": "db.local", "PORT": "5433"},
        {"NAME": "test_x", "USER": "postgres", "PASSWORD": "", "HOST": "/tmp/pg", "PORT": ""},
        {"NAME": "d", "USER": "", "PASSWORD": "", "HOST": "::1", "PORT": "5432"},
        {
            "NAME": "d",
            "USER": "u",
            "PASSWORD": "",
            "HOST": "h",
            "PORT": "",
            "OPTIONS": {"sslmode": "require"},
        },
    ],
)
def test_the_servers_database_url_reproduces_the_connection(settings_dict):
    parsed = database_from_url(database_url(settings_dict))

    for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT"):
        assert parsed[key] == settings_dict[key]
    assert parsed["OPTIONS"] == settings_dict.get("OPTIONS", {})


@pytest.mark.django_db
def test_the_servers_database_url_points_at_the_test_database():
    parsed = database_from_url(database_url(connection.settings_dict))

    assert parsed["NAME"] == connection.settings_dict["NAME"]
    assert parsed["HOST"] == connection.settings_dict["HOST"]


@pytest.mark.parametrize(
    ("total", "workers", "counts"),
    [(5, 5, [1, 1, 1, 1, 1]), (5, 2, [3, 2]), (2, 5, [1, 1]), (0, 3, [])],
)
def test_warm_up_requests_are_spread_evenly(total, workers, counts):
    assert split(total, workers) == counts


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("60s", 60.0), ("500ms", 0.5), ("2m", 120.0), ("1h", 3600.0), ("1.5s", 1.5), ("90", 90.0)],
)
def test_durations_read_with_their_unit(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "per_second"), [("50/s", 50.0), ("300/m", 5.0), ("20", 20.0)])
def test_rates_read_per_second(text, per_second):
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["", "soon", "-5s", "10 days", "1e3s", "5/d", "/s", "nan"])
def test_malformed_durations_and_rates_are_refused_with_an_example(text):
    with pytest.raises(ValueError, match="expected a duration like 60s"):
        parse_duration(text)
    with pytest.raises(ValueError, match="expected a rate like 50/s"):
        parse_rate(text)
