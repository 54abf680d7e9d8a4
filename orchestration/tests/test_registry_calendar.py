"""GET|POST /api/holidays/ and GET|POST /api/pto/."""

from __future__ import annotations

from datetime import date

import pytest

from orchestration.models import PTO, Employee, Holiday, HolidayType

HOLIDAYS = "/api/holidays/"
PTO_URL = "/api/pto/"

pytestmark = pytest.mark.django_db


def add_holidays(*days: tuple[str, str]) -> None:
    Holiday.objects.bulk_create(Holiday(date=date.fromisoformat(d), name=n) for d, n in days)


def test_it_registers_a_holiday(api_client):
    response = api_client.post(
        HOLIDAYS, {"date": "2026-12-25", "name": "Christmas", "type": "company"}, format="json"
    )

    assert response.status_code == 201, response.content
    holiday = Holiday.objects.get()
    assert (holiday.date, holiday.name, holiday.type) == (
        date(2026, 12, 25),
        "Christmas",
        HolidayType.COMPANY,
    )
    assert response.json()["id"] == holiday.pk


def test_a_holiday_type_defaults_to_public(api_client):
    api_client.post(HOLIDAYS, {"date": "2026-05-01", "name": "Labour Day"}, format="json")

    assert Holiday.objects.get().type == HolidayType.PUBLIC


def test_the_same_holiday_twice_is_409_but_another_name_that_day_is_fine(api_client):
    add_holidays(("2026-12-25", "Christmas"))

    again = api_client.post(HOLIDAYS, {"date": "2026-12-25", "name": "Christmas"}, format="json")
    other = api_client.post(HOLIDAYS, {"date": "2026-12-25", "name": "Office party"}, format="json")

    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert other.status_code == 201
    assert Holiday.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-13-01", "name": "Bad"}, "date"),
        ({"date": 20261225, "name": "Bad"}, "date"),
        ({"date": "2026-12-25T00:00:00Z", "name": "Bad"}, "date"),
        ({"date": "2026-12-25", "name": "X", "type": "national"}, "type"),
        ({"date": "2026-12-25"}, "name"),
        ({"date": "2026-12-25", "name": "X", "country": "DE"}, "country"),
    ],
)
def test_it_rejects_bad_holidays(api_client, body, field):
    response = api_client.post(HOLIDAYS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Holiday.objects.exists()


def test_it_lists_holidays_in_a_date_range(api_client):
    add_holidays(("2026-01-01", "New Year"), ("2026-05-01", "May Day"), ("2026-12-25", "Xmas"))

    response = api_client.get(HOLIDAYS, {"date_after": "2026-05-01", "date_before": "2026-12-24"})

    assert response.status_code == 200
    assert [h["name"] for h in response.json()["results"]] == ["May Day"]


@pytest.mark.parametrize("params", [{"date_after": "yesterday"}, {"type": "national"}])
def test_invalid_holiday_filters_are_400(api_client, params):
    assert api_client.get(HOLIDAYS, params).status_code == 400


def test_it_records_pto(api_client):
    Employee.objects.create(employee_id="E-1", name="Ada")

    response = api_client.post(
        PTO_URL,
        {"employee": "E-1", "start_date": "2026-12-01", "end_date": "2026-12-05", "reason": "Trip"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["employee_name"] == "Ada"
    pto = PTO.objects.get()
    assert (pto.employee_id, pto.start_date, pto.end_date, pto.reason) == (
        "E-1",
        date(2026, 12, 1),
        date(2026, 12, 5),
        "Trip",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"employee": "GHOST", "start_date": "2026-12-01", "end_date": "2026-12-02"}, "employee"),
        ({"employee": 1, "start_date": "2026-12-01", "end_date": "2026-12-02"}, "employee"),
        ({"employee": "E-1", "start_date": "2026-12-05", "end_date": "2026-12-01"}, "end_date"),
        ({"employee": "E-1", "start_date": "soon", "end_date": "2026-12-01"}, "start_date"),
        ({"employee": "E-1", "start_date": "2026-12-01"}, "end_date"),
        (
            {"employee": "E-1", "start_date": "2026-12-01", "end_date": "2026-12-01", "paid": True},
            "paid",
        ),
    ],
)
def test_it_rejects_bad_pto(api_client, body, field):
    Employee.objects.create(employee_id="E-1", name="Ada")

    response = api_client.post(PTO_URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not PTO.objects.exists()


def test_overlapping_pto_of_one_employee_is_409(api_client):
    ada = Employee.objects.create(employee_id="E-1", name="Ada")
    Employee.objects.create(employee_id="E-2", name="Bob")
    PTO.objects.create(employee=ada, start_date=date(2026, 12, 1), end_date=date(2026, 12, 5))

    overlap = api_client.post(
        PTO_URL,
        {"employee": "E-1", "start_date": "2026-12-05", "end_date": "2026-12-08"},
        format="json",
    )
    someone_else = api_client.post(
        PTO_URL,
        {"employee": "E-2", "start_date": "2026-12-01", "end_date": "2026-12-05"},
        format="json",
    )
    after = api_client.post(
        PTO_URL,
        {"employee": "E-1", "start_date": "2026-12-06", "end_date": "2026-12-08"},
        format="json",
    )

    assert overlap.status_code == 409
    assert overlap.json()["code"] == "conflict"
    assert someone_else.status_code == 201
    assert after.status_code == 201
    assert PTO.objects.filter(employee=ada).count() == 2


def test_it_lists_pto_by_employee_and_overlap_with_a_window(api_client):
    ada = Employee.objects.create(employee_id="E-1", name="Ada")
    bob = Employee.objects.create(employee_id="E-2", name="Bob")
    PTO.objects.bulk_create(
        [
            PTO(employee=ada, start_date=date(2026, 11, 20), end_date=date(2026, 12, 2)),
            PTO(employee=ada, start_date=date(2026, 12, 20), end_date=date(2026, 12, 31)),
            PTO(employee=bob, start_date=date(2026, 12, 3), end_date=date(2026, 12, 4)),
        ]
    )

    def spans(**params: str) -> list[tuple[str, str]]:
        response = api_client.get(PTO_URL, params)
        assert response.status_code == 200, response.content
        return [(p["employee"], p["start_date"]) for p in response.json()["results"]]

    assert spans(employee="E-1") == [("E-1", "2026-11-20"), ("E-1", "2026-12-20")]
    assert spans(date_after="2026-12-01", date_before="2026-12-10") == [
        ("E-1", "2026-11-20"),
        ("E-2", "2026-12-03"),
    ]
    assert spans(employee="E-1", date_after="2026-12-03") == [("E-1", "2026-12-20")]


def test_an_invalid_pto_date_filter_is_400(api_client):
    assert api_client.get(PTO_URL, {"date_before": "2026-02-30"}).status_code == 400


def test_listing_pto_costs_a_fixed_number_of_queries(api_client, django_assert_max_num_queries):
    employees = Employee.objects.bulk_create(
        Employee(employee_id=f"E-{i}", name=f"Person {i}") for i in range(30)
    )
    PTO.objects.bulk_create(
        PTO(employee=e, start_date=date(2026, 12, 1), end_date=date(2026, 12, 2)) for e in employees
    )

    # Token, count, page (employees joined).
    with django_assert_max_num_queries(3):
        response = api_client.get(PTO_URL)

    assert {p["employee_name"] for p in response.json()["results"]} == {
        f"Person {i}" for i in range(30)
    }
