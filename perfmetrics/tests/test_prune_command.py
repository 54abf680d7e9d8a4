from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from perfmetrics.models import DailyRollup, Run
from perfmetrics.tests.conftest import make_run

pytestmark = pytest.mark.django_db


def prune(*args: str) -> str:
    return prune_with_progress(*args)[0]


def prune_with_progress(*args: str) -> tuple[str, str]:
    """The command's stdout (its outcome) and stderr (its progress)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("prune_perfmetrics", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prunes_old_runs_and_reports_progress():
    old = make_run(100, ago=timedelta(days=40), components={"project_analysis": 10})
    recent = make_run(100, ago=timedelta(days=1))

    output, progress = prune_with_progress("--older-than", "30d", "--batch-size", "10")

    assert list(Run.objects.values_list("pk", flat=True)) == [recent.pk]
    assert DailyRollup.objects.filter(day=old.started_at.date(), project_id=None).count() == 2
    assert progress.splitlines() == [
        f"rolled up {old.started_at.date()}: 4 rows",
        "deleted 1/1 runs (100%), 1 components, batch 1",
    ]
    assert output.startswith("Pruned runs started before")
    assert "deleted 1 runs and 1 components in 1 batches" in output
    assert "rolled up 1 days" in output


def test_verbosity_0_silences_the_progress_but_not_the_outcome():
    make_run(100, ago=timedelta(days=2))

    output, progress = prune_with_progress("--older-than", "12h", "-v", "0")

    assert progress == ""
    assert output.startswith("Pruned runs started before")
    assert Run.objects.count() == 0


def test_verbosity_2_states_the_age_and_batch_size_before_the_progress():
    old = make_run(100, ago=timedelta(days=2))

    _, progress = prune_with_progress("--older-than", "12h", "--batch-size", "10", "-v", "2")

    lines = progress.splitlines()
    assert lines[0] == "Pruning runs older than 12h in batches of 10."
    assert lines[1].startswith(f"rolled up {old.started_at.date()}: ")
    assert lines[-1] == "deleted 1/1 runs (100%), 0 components, batch 1"


def test_the_dry_run_says_what_it_would_do_and_writes_nothing():
    make_run(100, ago=timedelta(days=40))

    output = prune("--older-than", "30d", "--dry-run")

    assert "Dry run, nothing written" in output
    assert "would roll up 1 days" in output
    assert "delete 1 runs and 0 components in 1 batches of 5000" in output
    assert (Run.objects.count(), DailyRollup.objects.count()) == (1, 0)


@override_settings(PERFMETRICS={"RETENTION_DAYS": 5})
def test_the_default_age_comes_from_the_settings():
    make_run(100, ago=timedelta(days=7))
    kept = make_run(100, started_at=timezone.now())

    prune()

    assert list(Run.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.parametrize(
    "args",
    [("--older-than", "30"), ("--older-than", "0d"), ("--batch-size", "0"), ("--batch-size", "x")],
)
def test_it_rejects_bad_arguments(args):
    make_run(100, ago=timedelta(days=40))

    with pytest.raises(CommandError):
        prune(*args)

    assert Run.objects.count() == 1
