"""How the public slots read the calendars: a visit that needs only the time held reads the
sheets' claims column, and a warm process reads the catalog and the staff again only when
their stamp moved. Whatever is read, the slots are the same and never stale."""

from __future__ import annotations

import boto3
import pytest
from booking_world import BOOKING, Company

CONSULTATION = {"services": "consultation"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@pytest.fixture
def company(world):
    return Company(world)


def book_consultation(world, company, start: str, staff_id: str) -> None:
    body = {"services": ["consultation"], "start": start, "staff_id": staff_id, "client_id": "client-1"}
    response = world.http.post(f"{BOOKING}/bookings", json=body, headers=world.headers("olena", "manager"))
    assert response.status_code == 201, response.get_json()


def offered(company, **params: str) -> dict[str, list[str]]:
    """Each start of 5 January 2027 and who is free then."""
    (day,) = company.slots("2027-01-05", 1, **{**CONSULTATION, **params})
    return {slot["start"]: slot["staff_ids"] for slot in day["slots"]}


def sheets(world) -> list[dict]:
    table = world.services["booking"].store.settings.table_name
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    return [item for item in items if item["pk"]["S"].startswith("SHEET#")]


def test_a_booked_time_leaves_the_slots_whether_the_sheet_has_its_claims_column_or_not(world, company):
    # given: Іван has a consultation at 10:00 on 5 January
    book_consultation(world, company, "2027-01-05T10:00:00+02:00", company.ivan["id"])
    with_column = offered(company)
    # when: the sheet is as one written before the claims column existed
    dynamodb = boto3.client("dynamodb")
    table = world.services["booking"].store.settings.table_name
    (sheet,) = sheets(world)
    assert "c" in sheet
    dynamodb.update_item(
        TableName=table, Key={"pk": sheet["pk"], "sk": sheet["sk"]}, UpdateExpression="REMOVE c"
    )
    from_lines = offered(company)
    # then: the same slots, and Іван is not offered at 10:00 (Петро is)
    assert from_lines == with_column
    assert with_column["2027-01-05T10:00:00+02:00"] == [company.petro["id"]]
    assert company.ivan["id"] in with_column["2027-01-05T11:00:00+02:00"]


def test_a_new_specialist_is_offered_by_the_very_next_look(world, company):
    # given: the slots were read (the process knows the staff)
    before = offered(company)
    assert all(len(who) == 2 for who in before.values())
    # when
    hours = {"weekly": {d: [{"start": "09:00", "end": "18:00"}] for d in WEEKDAYS}}
    oksana = company.post(
        "/staff", {"name": "Оксана", "skills": [], "hours": hours}, world.headers("root", "admin")
    )
    # then: she is free all day (the others break for lunch at 13:00)
    after = offered(company)
    assert set(after) == set(before) | {"2027-01-05T13:00:00+02:00", "2027-01-05T13:30:00+02:00"}
    assert all(oksana["id"] in who for who in after.values())


def test_changed_working_hours_are_offered_by_the_very_next_look(world, company):
    # given
    before = offered(company)
    assert company.ivan["id"] in before["2027-01-05T09:00:00+02:00"]
    # when: Іван starts at 12:00 from now on
    member = world.http.get(
        f"{BOOKING}/staff/{company.ivan['id']}", headers=world.headers("boss", "head")
    ).get_json()
    change = {key: member[key] for key in ("name", "skills", "home_zone", "user_id", "version")}
    change["hours"] = {"weekly": {d: [{"start": "12:00", "end": "18:00"}] for d in WEEKDAYS}}
    company.post(f"/staff/{company.ivan['id']}", change, world.headers("root", "admin"), method="PUT")
    # then
    after = offered(company)
    assert company.ivan["id"] not in after["2027-01-05T09:00:00+02:00"]
    assert company.ivan["id"] in after["2027-01-05T12:00:00+02:00"]


def test_a_changed_service_is_offered_as_changed_by_the_very_next_look(world, company):
    # given: consultations of 30 minutes
    (day,) = company.slots("2027-01-05", 1, **CONSULTATION)
    assert day["slots"][0]["end"] == "2027-01-05T09:30:00+02:00"
    # when: they take an hour from now on
    service = world.http.get(
        f"{BOOKING}/services/consultation", headers=world.headers("boss", "head")
    ).get_json()
    change = {key: value for key, value in service.items() if key not in ("id", "created_at")}
    change["duration_minutes"] = 60
    response = world.http.put(
        f"{BOOKING}/services/consultation", json=change, headers=world.headers("root", "admin")
    )
    assert response.status_code == 200, response.get_json()
    # then
    (day,) = company.slots("2027-01-05", 1, **CONSULTATION)
    assert day["slots"][0]["end"] == "2027-01-05T10:00:00+02:00"


def test_a_service_added_after_the_first_look_is_bookable_at_once(world, company):
    # given
    offered(company)
    # when
    company.post("/services", {
        "key": "fitting", "name": "Примірка", "duration_minutes": 45, "slot_step_minutes": 15,
        "min_notice_minutes": 0,
    }, world.headers("root", "admin"))  # fmt: skip
    # then
    (day,) = company.slots("2027-01-05", 1, services="fitting")
    assert day["slots"][0]["end"] == "2027-01-05T09:45:00+02:00"
