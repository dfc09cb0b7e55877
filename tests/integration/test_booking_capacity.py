"""What a visit needs besides a specialist: a resource (a room) held like his time, and
shared seats (a group visit takes as many visitors as it has seats, and no more)."""

from __future__ import annotations

import pytest
from booking_world import Company, kyiv


@pytest.fixture
def company(world):
    made = Company(world)
    admin = world.headers("root", "admin")
    made.post("/services", {"key": "fitting", "name": "Примірка", "duration_minutes": 30,
                            "slot_step_minutes": 30, "min_notice_minutes": 0,
                            "required_resource_kinds": ["room"]}, admin)  # fmt: skip
    made.post("/services", {"key": "workshop", "name": "Майстер-клас", "duration_minutes": 60,
                            "slot_step_minutes": 60, "min_notice_minutes": 0, "seats": 3}, admin)  # fmt: skip
    made.room = made.post("/resources", {"name": "Шоурум", "kind": "room"}, admin)
    return made


def test_a_visit_that_needs_the_only_room_holds_it_for_every_specialist(world, company):
    # given: Ivan takes the room at 10:00
    first = company.book(kyiv(5, 10), company.ivan["id"], services=["fitting"])
    # when: Petro, free himself, is asked for the same time
    second = company.book(kyiv(5, 10), company.petro["id"], services=["fitting"])
    # then
    assert first.status_code == 201 and second.status_code == 409
    assert second.get_json()["type"].endswith("time-taken")
    assert [i["booking_id"] for i in company.calendar(company.room["id"])] == [first.get_json()["booking_id"]]


def test_the_rooms_taken_time_is_not_offered_and_the_next_free_time_is(world, company):
    # given
    company.book(kyiv(5, 10), company.ivan["id"], services=["fitting"])
    # when
    starts = company.starts(services="fitting")
    # then
    assert kyiv(5, 10) not in starts and kyiv(5, 10, 30) in starts


def test_a_group_visit_takes_as_many_visitors_as_it_has_seats(world, company):
    # when
    answers = [company.book(kyiv(5, 10), company.ivan["id"], services=["workshop"]) for _ in range(3)]
    # then
    assert [a.status_code for a in answers] == [201, 201, 201]


def test_the_visitor_after_the_last_seat_gets_a_409_and_the_time_is_no_longer_offered(world, company):
    # given
    for _ in range(3):
        assert company.book(kyiv(5, 10), company.ivan["id"], services=["workshop"]).status_code == 201
    # when
    refused = company.book(kyiv(5, 10), company.ivan["id"], services=["workshop"])
    # then
    assert refused.status_code == 409
    assert kyiv(5, 10) not in company.starts(services="workshop", staff_id=company.ivan["id"])


def test_a_group_visit_with_seats_left_is_still_offered(world, company):
    # given
    for _ in range(2):
        company.book(kyiv(5, 10), company.ivan["id"], services=["workshop"])
    # when
    starts = company.starts(services="workshop", staff_id=company.ivan["id"])
    # then
    assert kyiv(5, 10) in starts
