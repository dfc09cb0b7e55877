"""A leaver's future bookings go to the successor clients names, when the successor is free
then; otherwise they wait on the office's handover list."""

from __future__ import annotations

import pytest
from booking_world import BOOKING, NOW, WEEKDAYS, Company, kyiv

from lanka_platform.contracts.clients import StaffDeactivated

HOURS = {"weekly": {d: [{"start": "09:00", "end": "18:00"}] for d in WEEKDAYS}}


@pytest.fixture
def company(world):
    made = Company(world)
    world.token("oleh", "measurer")
    made.oleh = made.post(
        "/staff",
        {"name": "Олег", "skills": ["measure"], "home_zone": "left", "user_id": world.user_id("oleh"),
         "hours": HOURS},
        world.headers("root", "admin"),
    )  # fmt: skip
    return made


def book_petro(world, company, hour: int) -> dict:
    body = {"services": ["measurement"], "start": kyiv(5, hour), "staff_id": company.petro["id"],
            "client_id": "client-1", "address": "Київ", "zone": "left"}  # fmt: skip
    response = world.http.post(f"{BOOKING}/bookings", json=body, headers=world.headers("olena", "manager"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def petro_leaves(world, hand_over_to: str | None) -> None:
    world.publish(
        StaffDeactivated(
            user_id=world.user_id("petro"), username="petro", hand_over_to=hand_over_to, deactivated_at=NOW
        )
    )


def handovers(world) -> list[dict]:
    response = world.http.get(f"{BOOKING}/handovers", headers=world.headers("boss", "head"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_a_leavers_future_booking_goes_to_the_free_successor_and_the_client_is_told(world, company):
    # given
    booked = book_petro(world, company, 10)
    # when
    petro_leaves(world, world.user_id("oleh"))
    # then
    assert [i["booking_id"] for i in company.calendar(company.oleh["id"])] == [booked["id"]]
    assert company.calendar(company.petro["id"]) == []
    (moved,) = company.tap.events("BookingRescheduled")
    assert (moved["staff_id"], moved["previous_staff_id"]) == (world.user_id("oleh"), world.user_id("petro"))
    assert handovers(world) == []


def test_the_successors_time_is_claimed_so_he_cannot_be_booked_twice_then(world, company):
    # given
    book_petro(world, company, 10)
    petro_leaves(world, world.user_id("oleh"))
    # when
    starts = company.starts(staff_id=company.oleh["id"])
    # then
    assert kyiv(5, 10) not in starts and kyiv(5, 12) in starts


def test_a_booking_the_busy_successor_cannot_take_waits_on_the_handover_list(world, company):
    # given: Oleh is blocked 10:00-11:00, when Petro has a visit
    booked = book_petro(world, company, 10)
    company.post("/blocks", {"owner_id": company.oleh["id"], "start": kyiv(5, 10), "end": kyiv(5, 11)},
                 world.headers("olena", "manager"))  # fmt: skip
    # when
    petro_leaves(world, world.user_id("oleh"))
    # then
    (waiting,) = handovers(world)
    assert (waiting["booking_id"], waiting["starts_at"]) == (booked["id"], kyiv(5, 10))
    assert "busy" in waiting["reason"]
    assert [i["booking_id"] for i in company.calendar(company.petro["id"])] == [booked["id"]]


def test_with_no_successor_named_every_future_booking_is_listed(world, company):
    # given
    first, second = book_petro(world, company, 10), book_petro(world, company, 15)
    # when
    petro_leaves(world, None)
    # then
    assert [i["booking_id"] for i in handovers(world)] == [first["id"], second["id"]]


def test_moving_a_listed_booking_to_someone_takes_it_off_the_list(world, company):
    # given
    booked = book_petro(world, company, 10)
    petro_leaves(world, None)
    # when
    moved = world.http.post(
        f"{BOOKING}/bookings/{booked['id']}/move",
        json={"start": kyiv(5, 10), "staff_id": company.ivan["id"], "version": booked["version"]},
        headers=world.headers("olena", "manager"),
    )
    # then
    assert moved.status_code == 200, moved.get_json()
    assert handovers(world) == []


def test_a_second_notice_of_the_same_leaver_hands_nothing_over_twice(world, company):
    # given
    book_petro(world, company, 10)
    petro_leaves(world, world.user_id("oleh"))
    # when
    petro_leaves(world, world.user_id("oleh"))
    # then
    assert len(company.calendar(company.oleh["id"])) == 1
    assert len(company.tap.events("BookingRescheduled")) == 1


def test_only_the_office_sees_the_handover_list(world, company):
    # when
    response = world.http.get(f"{BOOKING}/handovers", headers=world.headers("petro", "measurer"))
    # then
    assert response.status_code == 403


def feed(world, username: str, role: str) -> list[dict]:
    response = world.http.get(f"/api/notifications/alerts?role={role}", headers=world.headers(username, role))
    assert response.status_code == 200, response.get_json()
    return [item for item in response.get_json()["items"] if item["kind"] == "handover_needed"]


def test_the_head_and_the_admins_are_told_of_bookings_no_one_took_over(world, company):
    # given
    booked = book_petro(world, company, 10)
    # when
    petro_leaves(world, None)
    # then
    for username, role in (("boss", "head"), ("root", "admin")):
        (alert,) = feed(world, username, role)
        assert alert["data"]["booking_ids"] == [booked["id"]]
        assert "Петро" in alert["text"] and "05.01 10:00 «Замір»" in alert["text"]


def test_the_handover_event_names_times_and_services_but_no_client_details(world, company):
    # given
    booked = book_petro(world, company, 10)
    # when
    petro_leaves(world, world.user_id("olena"))
    # then
    (needed,) = company.tap.events("HandoverNeeded")
    (item,) = needed["bookings"]
    assert (item["booking_id"], item["services"], item["service_name"]) == (
        booked["id"],
        ["measurement"],
        "Замір",
    )
    assert set(item) == {"booking_id", "starts_at", "ends_at", "services", "service_name", "reason"}
    assert "client-1" not in str(needed) and "Київ" not in str(needed)


def test_no_one_is_told_when_the_successor_takes_every_booking(world, company):
    # given
    book_petro(world, company, 10)
    # when
    petro_leaves(world, world.user_id("oleh"))
    # then
    assert company.tap.events("HandoverNeeded") == []
    assert feed(world, "boss", "head") == []
