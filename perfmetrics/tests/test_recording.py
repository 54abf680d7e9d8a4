from __future__ import annotations

from dataclasses import replace

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings

from perfmetrics.measure import Measurement, component
from perfmetrics.models import Run
from perfmetrics.services import measured_transaction, record_run, reserve_run_id

pytestmark = pytest.mark.django_db


class ClientMistakeError(Exception):
    pass


def measured(components: int) -> Measurement:
    with Measurement("job", project_id="P") as run:
        for i in range(components):
            with component(f"part-{i}"):
                pass
    return run


@pytest.mark.parametrize("components", [0, 1, 25])
def test_recording_takes_one_statement_however_many_components(
    components, django_assert_num_queries
):
    run = measured(components)
    assert run.result is not None
    run_id = reserve_run_id()

    with django_assert_num_queries(1):
        assert record_run(run.result, run_id=run_id) == run_id

    stored = Run.objects.get()
    assert stored.pk == run_id
    assert stored.project_id == "P"
    assert stored.labels == {}
    assert stored.duration_ms == pytest.approx(run.result.duration_ms)
    assert stored.rss_after_bytes == run.result.resources.rss_after_bytes
    assert list(stored.components.order_by("offset_ms").values_list("name", "parent", "depth")) == [
        (c.name, c.parent, c.depth) for c in run.result.components
    ]


def test_labels_errors_and_unicode_are_stored_as_given():
    labels = {"label": "nightly:phase-1"}
    with Measurement("job", project_id="P", labels=labels) as run, component("zoë ✓"):
        pass
    assert run.result is not None

    record_run(replace(run.result, success=False, error="ValueError: naïve 'quote' \\ {x}"))

    stored = Run.objects.get()
    assert stored.labels == {"label": "nightly:phase-1"}
    assert stored.error == "ValueError: naïve 'quote' \\ {x}"
    assert stored.components.get().name == "zoë ✓"


def test_the_work_and_its_run_commit_together():
    with measured_transaction("job", project_id="P") as run, component("write"):
        Group.objects.create(name="written")

    stored = Run.objects.get()
    assert stored.pk == run.record_id
    assert stored.success
    assert stored.project_id == "P"
    assert [c.name for c in stored.components.all()] == ["write"]
    assert Group.objects.filter(name="written").exists()


def write_then_fail(name: str, runs: list[Measurement] | None = None) -> None:
    with measured_transaction("job", project_id="P") as run, component("write"):
        if runs is not None:
            runs.append(run)
        Group.objects.create(name=name)
        raise RuntimeError("boom")


def test_a_failure_rolls_the_work_back_and_records_the_failed_run():
    runs: list[Measurement] = []

    with pytest.raises(RuntimeError, match="boom"):
        write_then_fail("half-done", runs)

    run = runs[0]

    assert not Group.objects.filter(name="half-done").exists()
    stored = Run.objects.get()
    assert stored.pk == run.record_id
    assert not stored.success
    assert stored.error == "RuntimeError: boom"
    assert stored.components.get().error == "RuntimeError: boom"


def test_an_unrecorded_exception_leaves_no_run():
    with (
        pytest.raises(ClientMistakeError),
        measured_transaction("job", unrecorded=(ClientMistakeError,)),
    ):
        raise ClientMistakeError

    assert Run.objects.count() == 0


@override_settings(PERFMETRICS={"ENABLED": False})
def test_with_recording_off_the_work_still_runs_in_a_transaction_and_nothing_is_recorded():
    with pytest.raises(RuntimeError):
        write_then_fail("rolled-back")

    with measured_transaction("job") as run, component("ignored"):
        Group.objects.create(name="kept")

    assert run.result is None
    assert run.record_id is None
    assert list(Group.objects.values_list("name", flat=True)) == ["kept"]
    assert Run.objects.count() == 0


@override_settings(PERFMETRICS={"TOTAL_MS": 0.0})
def test_a_run_outside_a_threshold_is_flagged_as_breached():
    with measured_transaction("job"):
        pass

    assert Run.objects.get().breached
