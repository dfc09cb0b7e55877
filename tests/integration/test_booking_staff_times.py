"""Staff routes show times in the company's zone (Europe/Kyiv) with the offset of that day:
+02:00 before the spring change, +03:00 after it."""

from __future__ import annotations

from datetime import datetime

import pytest
from booking_world import BOOKING, KYIV, Company


@pytest.fixture
def company(world):
    made = Company(world)
    # Friday 19 March 2027, 08:00 in Kyiv: the week of the change to summer time (28 March).
    made.clock.now = datetime(2027, 3, 19, 8, 0, tzinfo=KYIV)
    return made


def book(world, company, start: str):
    body = {
        "services": ["consultation"],
        "start": start,
        "staff_id": company.ivan["id"],
        "client_id": "client-1",
    }
    response = world.http.post(f"{BOOKING}/bookings", json=body, headers=world.headers("olena", "manager"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_calendar_shows_kyiv_wall_clock_times_on_both_sides_of_the_spring_change(world, company):
    # given: visits at 10:00 Kyiv time on Friday 26 March (winter) and Monday 29 March (summer)
    book(world, company, "2027-03-26T08:00:00Z")
    book(world, company, "2027-03-29T07:00:00Z")
    # when
    items = company.calendar(company.ivan["id"], day="2027-03-26", days=4)
    # then
    assert [(i["starts_at"], i["ends_at"]) for i in items] == [
        ("2027-03-26T10:00:00+02:00", "2027-03-26T10:30:00+02:00"),
        ("2027-03-29T10:00:00+03:00", "2027-03-29T10:30:00+03:00"),
    ]


def test_a_booking_made_by_staff_answers_in_kyiv_time_with_the_summer_offset(world, company):
    # when: a visit at 07:00 UTC on Monday 29 March, after the change
    made = book(world, company, "2027-03-29T07:00:00Z")
    # then: the answer and a later read both say 10:00 +03:00
    again = world.http.get(f"{BOOKING}/bookings/{made['id']}", headers=world.headers("olena", "manager"))
    assert made["starts_at"] == again.get_json()["starts_at"] == "2027-03-29T10:00:00+03:00"


def test_a_move_across_the_change_answers_with_the_new_days_offset(world, company):
    # given: a visit at 10:00 on Friday 26 March (+02:00)
    made = book(world, company, "2027-03-26T08:00:00Z")
    # when: moved to 10:00 Kyiv on Monday 29 March
    moved = world.http.post(
        f"{BOOKING}/bookings/{made['id']}/move",
        json={"start": "2027-03-29T10:00:00+03:00", "version": made["version"]},
        headers=world.headers("olena", "manager"),
    )
    # then
    assert moved.status_code == 200, moved.get_json()
    assert (made["starts_at"], moved.get_json()["starts_at"]) == (
        "2027-03-26T10:00:00+02:00",
        "2027-03-29T10:00:00+03:00",
    )
