from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.client import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perfmetrics.changelist import BoundedCountPaginator
from perfmetrics.models import Run
from perfmetrics.tests.builders import make_run, part

CHANGELIST = "/admin/perfmetrics/run/"
CHART = "/admin/perfmetrics/run/chart/"


def shown_run_ids(response) -> set[int]:
    return {
        int(pk) for pk in re.findall(r'href="/admin/perfmetrics/run/(\d+)/change/', response.text)
    }


@pytest.mark.django_db
def test_the_run_changelist_lists_runs_for_staff(admin_client):
    runs = [make_run(project_id=f"P-{i}") for i in range(3)]

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert shown_run_ids(response) == {r.pk for r in runs}
    assert "3 runs" in response.text
    assert 'href="/admin/perfmetrics/run/chart/"' in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("url", [CHANGELIST, CHART, "/admin/perfmetrics/run/{pk}/change/"])
def test_it_sends_users_who_are_not_staff_to_the_login_page(client, url):
    run = make_run()
    user = get_user_model().objects.create_user("someone", password="pw-123456")
    client.force_login(user)

    response = client.get(url.format(pk=run.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


@pytest.mark.django_db
def test_the_changelist_query_count_does_not_grow_with_the_number_of_runs(
    admin_client, django_assert_max_num_queries
):
    for i in range(3):
        make_run(project_id=f"P-{i}", components=(part("project_analysis"),))
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    for i in range(60):
        make_run(project_id=f"P-{i}", components=(part("project_analysis"),))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert len(shown_run_ids(response)) == 50


def counts_of_runs(queries) -> list[str]:
    return [
        q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "perfmetrics_run" in q["sql"]
    ]


@pytest.mark.django_db
def test_the_unfiltered_changelist_never_counts_the_whole_table(admin_client, monkeypatch):
    monkeypatch.setattr(BoundedCountPaginator, "cap", 4)
    for i in range(7):
        make_run(project_id=f"P-{i}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE perfmetrics_run")

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    counts = counts_of_runs(queries.captured_queries)
    assert counts, "the paginator counts, boundedly"
    assert all("LIMIT 5" in sql for sql in counts)
    assert any("pg_class" in q["sql"] for q in queries.captured_queries)
    assert "About 7 runs (table estimate)" in response.text
    # Pages stop at the cap: one page of 4 rows, no link to a second page.
    assert "?p=2" not in response.text


@pytest.mark.django_db
def test_a_filtered_changelist_says_more_than_the_cap_instead_of_counting(
    admin_client, monkeypatch
):
    monkeypatch.setattr(BoundedCountPaginator, "cap", 3)
    for _ in range(5):
        make_run(project_id="BIG")

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST, {"project_id": "BIG"})

    assert "More than 3 runs" in response.text
    assert not any("pg_class" in q["sql"] for q in queries.captured_queries)
    assert all("LIMIT 4" in sql for sql in counts_of_runs(queries.captured_queries))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"project_id": "P-2"}, {"p2"}),
        ({"source__exact": "cli"}, {"cli"}),
        ({"success__exact": "0"}, {"failed"}),
        ({"breached__exact": "1"}, {"slow"}),
        ({"dry_run__exact": "1"}, {"dry"}),
        (
            {
                "started_at__gte": "2020-01-01 00:00:00+00:00",
                "started_at__lt": "2020-01-02 00:00:00+00:00",
            },
            {"old"},
        ),
        ({"q": "P-2"}, {"p2"}),
        ({"q": "deadlock"}, {"failed"}),
    ],
)
def test_each_filter_and_search_narrows_the_runs(admin_client, params, expected):
    runs = {
        "p2": make_run(project_id="P-2"),
        "cli": make_run(source="cli"),
        "failed": make_run(success=False, error="OperationalError: deadlock detected"),
        "slow": make_run(duration_ms=5000.0),
        "dry": make_run(dry_run=True),
        "old": make_run(started_at=datetime(2020, 1, 1, 12, tzinfo=UTC)),
    }

    response = admin_client.get(CHANGELIST, params)

    assert response.status_code == 200
    assert shown_run_ids(response) == {runs[name].pk for name in expected}


@pytest.mark.django_db
def test_search_matches_a_run_id_and_ignores_errors_of_successful_runs(admin_client):
    wanted = make_run()
    make_run(error="deadlock mentioned in a successful run's text")

    by_id = admin_client.get(CHANGELIST, {"q": str(wanted.pk)})
    by_error = admin_client.get(CHANGELIST, {"q": "deadlock"})

    assert shown_run_ids(by_id) == {wanted.pk}
    assert shown_run_ids(by_error) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["\u00b2", "#\u00b2", "\u0663"])
def test_a_search_with_unicode_digits_is_a_text_search_not_a_crash(admin_client, term):
    make_run()

    response = admin_client.get(CHANGELIST, {"q": term})

    assert response.status_code == 200
    assert shown_run_ids(response) == set()


@pytest.mark.django_db
def test_the_project_filter_suggests_projects_of_the_newest_runs(admin_client):
    make_run(project_id="OLD", started_at=timezone.now() - timedelta(days=3))
    make_run(project_id="NEW")

    response = admin_client.get(CHANGELIST)

    assert 'name="project_id"' in response.text
    assert response.text.index("?project_id=NEW") < response.text.index("?project_id=OLD")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ({"project_id": "P-7"}, "run_project_recent"),
        ({"source": "cli"}, "run_source_recent"),
        ({"success": False}, "run_failed_recent"),
        ({"breached": True}, "run_breached_recent"),
        ({"dry_run": True}, "run_dry_run_recent"),
        ({"started_at__gte": datetime(2026, 1, 1, tzinfo=UTC)}, "run_recent"),
    ],
)
def test_each_changelist_filter_is_served_by_an_index(admin_user, lookup, index):
    now = timezone.now()
    Run.objects.bulk_create(
        Run(
            name="total_orchestration",
            project_id=f"P-{i % 40}",
            source="cli" if i % 97 == 0 else "api",
            dry_run=i % 89 == 0,
            started_at=now - timedelta(seconds=i),
            duration_ms=100.0,
            success=i % 53 != 0,
            breached=i % 61 == 0,
            cpu_user_ms=1.0,
            cpu_system_ms=1.0,
            rss_before_bytes=1,
            rss_after_bytes=2,
            db_queries=1,
            db_time_ms=1.0,
            host="h",
            pid=1,
            overhead_ms=0.1,
        )
        for i in range(3000)
    )
    request = RequestFactory().get(CHANGELIST)
    request.user = admin_user
    changelist = site._registry[Run].get_changelist_instance(request)
    page = changelist.queryset.filter(**lookup)[:50]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE perfmetrics_run")
        # Only an index the filter can use makes the plan avoid a (disabled) seq scan.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = page.explain()

    assert index in plan
    assert "Seq Scan" not in plan


@pytest.mark.django_db
def test_the_run_page_shows_components_as_an_indented_timeline_and_resources(admin_client):
    run = make_run(
        duration_ms=200.0,
        components=(
            part("project_analysis", offset=0.0, ms=50.0),
            part("full_pattern_analysis", offset=50.0, ms=100.0),
            part(
                "similarity_analysis", parent="full_pattern_analysis", depth=1, offset=50.0, ms=40.0
            ),
        ),
    )

    response = admin_client.get(f"/admin/perfmetrics/run/{run.pk}/change/")

    assert response.status_code == 200
    text = response.text
    assert text.index("project_analysis") < text.index("similarity_analysis")
    assert re.search(r'padding-left: 2\.0em">similarity_analysis', text)
    # Bars are placed and sized on the run's 200 ms.
    assert 'margin-left: 25.00%; width: 20.00%" title="similarity_analysis' in text
    assert 'margin-left: 25.00%; width: 50.00%" title="full_pattern_analysis' in text
    assert "Memory change (process-wide RSS)" in text
    assert "+12.0 MB" in text
    assert "CPU user (request thread)" in text
    assert "worker-1, pid 4242" in text
    assert "0.8 ms (0.4% of run)" in text
    assert 'name="_save"' not in text


@pytest.mark.django_db
def test_the_run_page_query_count_does_not_grow_with_components(
    admin_client, django_assert_max_num_queries
):
    few = make_run(components=(part("a"),))
    many = make_run(components=tuple(part(f"c{i}", offset=float(i)) for i in range(30)))
    with CaptureQueriesContext(connection) as baseline:
        admin_client.get(f"/admin/perfmetrics/run/{few.pk}/change/")

    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = admin_client.get(f"/admin/perfmetrics/run/{many.pk}/change/")

    assert response.text.count('class="component ok"') == 30


@pytest.mark.django_db
def test_runs_cannot_be_added_changed_or_deleted_in_the_admin(admin_client):
    run = make_run()

    assert admin_client.get("/admin/perfmetrics/run/add/").status_code == 403
    assert admin_client.post(f"/admin/perfmetrics/run/{run.pk}/delete/").status_code == 403
    admin_client.post(f"/admin/perfmetrics/run/{run.pk}/change/", {"project_id": "X"})
    assert Run.objects.get(pk=run.pk).project_id == "TEST-001"


@pytest.mark.django_db
def test_the_admin_index_links_to_the_chart(admin_client):
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert 'href="/admin/perfmetrics/run/chart/"' in response.text
    assert "Component percentile chart" in response.text
