from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from perfmetrics.measure import Measurement, component, current_measurement


def test_components_nest_with_their_parent_and_depth():
    with Measurement("job") as run, component("outer"):
        with component("inner"):
            pass
        with component("sibling"):
            pass

    assert run.result is not None
    shape = [(c.name, c.parent, c.depth) for c in run.result.components]
    assert shape == [("inner", "outer", 1), ("sibling", "outer", 1), ("outer", "", 0)]
    outer = run.result.component("outer")
    inner = run.result.component("inner")
    assert outer is not None
    assert inner is not None
    assert outer.duration_ms >= inner.duration_ms
    assert run.result.duration_ms >= outer.duration_ms
    assert run.result.success


def test_a_failing_component_is_recorded_and_the_exception_propagates():
    run = Measurement("job")

    def fail() -> None:
        with run:
            with component("ok"):
                pass
            with component("broken"):
                raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        fail()

    assert run.result is not None
    broken = run.result.component("broken")
    assert broken is not None
    assert not broken.success
    assert broken.error == "KeyError: 'missing'"
    assert run.result.component("ok").success
    assert not run.result.success
    assert run.result.error == "KeyError: 'missing'"


def test_component_works_as_a_decorator_and_is_a_no_op_outside_a_run():
    @component("decorated")
    def work(x: int) -> int:
        return x * 2

    assert work(2) == 4
    assert current_measurement() is None
    with Measurement("job") as run:
        assert work(3) == 6
        assert work(4) == 8

    assert run.result is not None
    assert [c.name for c in run.result.components] == ["decorated", "decorated"]


def test_concurrent_runs_in_threads_keep_their_own_components():
    results = {}
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        with Measurement(name) as run:
            barrier.wait()
            with component(f"{name}-part"):
                barrier.wait()
        results[name] = run.result

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [c.name for c in results["a"].components] == ["a-part"]
    assert [c.name for c in results["b"].components] == ["b-part"]


@pytest.mark.django_db
def test_database_queries_inside_the_run_are_counted():
    with Measurement("job") as run, connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("SELECT pg_sleep(0.01)")

    assert run.result is not None
    assert run.result.resources.db_queries == 2
    assert run.result.resources.db_time_ms >= 10.0


def test_resources_and_overhead_are_captured():
    with Measurement("job", project_id="P", source="cli", dry_run=True, labels={"k": "v"}) as run:
        sum(i * i for i in range(10000))
        # The overhead is also spent outside the timed span; a body this long keeps
        # "overhead below duration" true even when the machine preempts the test.
        time.sleep(0.05)

    result = run.result
    assert result is not None
    assert result.resources.rss_before_bytes > 0
    assert result.resources.rss_after_bytes > 0
    assert result.resources.cpu_user_ms + result.resources.cpu_system_ms >= 0
    assert result.overhead_ms > 0
    assert result.overhead_ms < result.duration_ms
    assert (result.project_id, result.source, result.dry_run, dict(result.labels)) == (
        "P",
        "cli",
        True,
        {"k": "v"},
    )
    assert result.pid > 0
    assert result.host
