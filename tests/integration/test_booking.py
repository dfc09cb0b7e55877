"""Booking through its routes: the public widget API, the manage link, staff calendars,
and the events that make a widget booking a client, a deal and a confirmation."""

from __future__ import annotations

import pytest
from booking_world import BOOKING, NOW, Company, kyiv

from lanka_platform.contracts.clients import ClientErased, ClientMerged, StaffDeactivated


@pytest.fixture
def company(world):
    return Company(world)


# ---------------------------------------------------------------------------- public API


def test_visitor_sees_the_services_in_their_language(world, company):
    # when
    response = world.http.get(f"{BOOKING}/public/services?lang=en")
    # then
    items = {item["key"]: item for item in response.get_json()["items"]}
    assert items["measurement"]["name"] == "Measurement visit"
    assert items["measurement"]["price"] == {"amount": 0, "currency": "UAH"}
    assert items["consultation"]["name"] == "Консультація"


def test_visitor_sees_who_can_perform_the_service(world, company):
    # when
    measurers = world.http.get(f"{BOOKING}/public/staff?services=measurement").get_json()["items"]
    # then
    assert sorted(m["name"] for m in measurers) == ["Іван", "Петро"]
    assert set(measurers[0]) == {"id", "name"}


def test_slots_follow_working_hours_and_breaks_in_kyiv_time(company):
    # when
    starts = company.starts(staff_id=company.ivan["id"])
    # then
    assert starts == [kyiv(5, h) for h in (9, 10, 11, 12, 14, 15, 16, 17)]


def test_several_services_in_one_visit_add_durations_and_prices(world, company):
    # when
    answer = world.http.get(
        f"{BOOKING}/public/slots?services=measurement,consultation&from=2027-01-05&days=1"
    )
    # then
    body = answer.get_json()
    assert (body["duration_minutes"], body["price"]) == (90, {"amount": 50000, "currency": "UAH"})
    assert body["days"][0]["slots"][0]["end"] == kyiv(5, 10, 30)


def test_a_booked_slot_is_no_longer_offered(company):
    # when
    response = company.book(kyiv(5, 10), company.ivan["id"])
    # then
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["status"], body["staff_name"], body["starts_at"]) == ("confirmed", "Іван", kyiv(5, 10))
    assert kyiv(5, 10) not in company.starts(staff_id=company.ivan["id"])


def test_an_overlapping_slot_of_the_same_specialist_is_refused_and_books_nothing(company):
    # given
    assert company.book(kyiv(5, 10), company.ivan["id"]).status_code == 201
    # when: 10:30 overlaps 10:00–11:00 (not the same slot)
    response = company.book(kyiv(5, 10, 30), company.ivan["id"])
    # then
    assert response.status_code in (409, 422)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert len(company.calendar(company.ivan["id"])) == 1


def test_a_taken_slot_is_a_clear_409(company):
    # given
    assert company.book(kyiv(5, 10), company.ivan["id"]).status_code == 201
    # when
    response = company.book(kyiv(5, 10), company.ivan["id"], phone="0501112233")
    # then
    assert response.status_code == 409
    assert "зайнят" in response.get_json()["detail"]


def test_any_specialist_goes_to_the_least_booked_one(company):
    # given
    assert company.book(kyiv(5, 9), company.ivan["id"]).status_code == 201
    # when
    response = company.book(kyiv(5, 15))
    # then
    assert response.get_json()["staff_name"] == "Петро"


@pytest.mark.parametrize(
    ("start", "fields", "field"),
    [
        (kyiv(1, 10), {}, "start"),  # in the past
        (kyiv(5, 20), {}, "start"),  # outside working hours
        (kyiv(5, 13), {}, "start"),  # in the break
        (kyiv(9, 10), {}, "start"),  # Saturday
        (kyiv(4, 9), {}, "start"),  # within the minimum notice
        (kyiv(5, 10), {"phone": "12"}, "phone"),
        (kyiv(5, 10), {"consent": False}, "consent"),
        (kyiv(5, 10), {"address": None}, "address"),
        (kyiv(5, 10), {"services": ["haircut"]}, "services"),
    ],
)
def test_bad_input_is_a_422_and_books_nothing(company, start, fields, field):
    # when
    response = company.book(start, **fields)
    # then
    assert response.status_code == 422, response.get_json()
    assert field in {error["field"] for error in response.get_json()["errors"]}
    assert company.calendar(company.ivan["id"]) == [] and company.calendar(company.petro["id"]) == []


def test_the_honeypot_is_answered_like_a_success_but_books_nothing(company):
    # when
    response = company.book(kyiv(5, 10), company.ivan["id"], website="http://spam.example")
    # then
    assert response.status_code == 201
    assert company.calendar(company.ivan["id"]) == []
    assert company.tap.events("WidgetRequestReceived") == []


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer(company):
    # given
    first = company.book(kyiv(5, 10), company.ivan["id"], key="retry-key-0001")
    # when
    again = company.book(kyiv(5, 10), company.ivan["id"], key="retry-key-0001")
    # then
    assert again.status_code == 201
    assert again.get_json()["booking_id"] == first.get_json()["booking_id"]
    assert len(company.calendar(company.ivan["id"])) == 1


def test_too_many_bookings_from_one_address_are_refused(company):
    # given
    for hour in (9, 10, 11, 12, 14, 15, 16, 17):
        company.book(kyiv(6, hour), company.ivan["id"])
    company.book(kyiv(6, 9), company.petro["id"])
    company.book(kyiv(6, 11), company.petro["id"])
    # when
    response = company.book(kyiv(6, 14), company.petro["id"])
    # then
    assert response.status_code == 429
    assert len(company.calendar(company.petro["id"], "2027-01-06")) == 2


# ---------------------------------------------------------------------------- manage link


def test_visitor_sees_and_cancels_their_booking_with_the_link_and_the_time_is_free_again(world, company):
    # given
    booked = company.book(kyiv(5, 10), company.ivan["id"]).get_json()
    path = company.manage_path(booked["manage_url"])
    # when
    seen = world.http.get(path)
    cancelled = world.http.post(path.replace("?token", "/cancel?token"))
    # then
    assert seen.get_json()["service_names"] == ["Замір"]
    assert cancelled.get_json()["status"] == "cancelled"
    assert kyiv(5, 10) in company.starts(staff_id=company.ivan["id"])


def test_a_tampered_link_is_refused_and_changes_nothing(world, company):
    # given
    booked = company.book(kyiv(5, 10), company.ivan["id"]).get_json()
    path = company.manage_path(booked["manage_url"])
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    # when
    response = world.http.post(tampered.replace("?token", "/cancel?token"))
    # then
    assert response.status_code == 403
    assert len(company.calendar(company.ivan["id"])) == 1


def test_a_link_of_another_booking_opens_nothing(world, company):
    # given
    mine = company.book(kyiv(5, 10), company.ivan["id"]).get_json()
    other = company.book(kyiv(5, 14), company.ivan["id"], phone="0501112233").get_json()
    token = mine["manage_url"].split("token=")[1]
    # when
    response = world.http.get(f"{BOOKING}/public/bookings/{other['booking_id']}?token={token}")
    # then
    assert response.status_code == 403


def test_visitor_moves_the_visit_to_another_free_time(world, company):
    # given
    booked = company.book(kyiv(5, 10), company.ivan["id"]).get_json()
    path = company.manage_path(booked["manage_url"])
    # when
    moved = world.http.post(
        path.replace("?token", "/reschedule?token"), json={"start": kyiv(5, 10, 0).replace("10:00", "15:00")}
    )
    # then
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["starts_at"] == kyiv(5, 15)
    calendar = company.calendar(company.ivan["id"]) + company.calendar(company.petro["id"])
    assert [entry["starts_at"] for entry in calendar] == [kyiv(5, 15)]  # the calendar shows Kyiv time


def test_moves_within_one_day_free_the_old_time_and_hold_the_new_in_the_offered_slots(world, company):
    # given
    booked = company.book(kyiv(5, 10), company.ivan["id"]).get_json()
    path = company.manage_path(booked["manage_url"]).replace("?token", "/reschedule?token")
    # when: moved twice on the same day
    first = world.http.post(path, json={"start": kyiv(5, 14)})
    second = world.http.post(path, json={"start": kyiv(5, 17)})
    # then
    assert (first.status_code, second.status_code) == (200, 200), second.get_json()
    starts = company.starts(staff_id=company.ivan["id"])
    assert kyiv(5, 10) in starts and kyiv(5, 14) in starts
    assert kyiv(5, 17) not in starts


def test_a_change_inside_the_company_window_is_refused_in_words(world, company):
    # given: booked for tomorrow 09:00; now it is 22:00 the evening before (inside 12 h)
    booked = company.book(kyiv(5, 9), company.ivan["id"]).get_json()
    company.clock.now = company.clock.now.replace(hour=20)
    path = company.manage_path(booked["manage_url"])
    # when
    response = world.http.post(path.replace("?token", "/cancel?token"))
    # then
    assert response.status_code == 409
    assert "12 год" in response.get_json()["detail"]
    assert len(company.calendar(company.ivan["id"])) == 1


# ---------------------------------------------------------------------------- the chain of events


def test_a_widget_booking_becomes_a_client_a_deal_in_measurement_booked_and_a_confirmation(world, company):
    # given
    booked = company.book(kyiv(5, 10), company.ivan["id"]).get_json()
    # when
    world.router.deliver_all()
    world.router.deliver_all()
    # then
    (request,) = company.tap.events("WidgetRequestReceived")
    assert (request["request_id"], request["subject"]) == (booked["booking_id"], "Замір, 05.01 10:00")
    (created,) = company.tap.events("BookingCreated")
    assert created["request_id"] == booked["booking_id"] and created["client_id"]
    assert created["manage_url"] == booked["manage_url"]
    assert f"UID:{booked['booking_id']}@lanka" in created["ics"]
    assert "METHOD:REQUEST" in created["ics"] and "SEQUENCE:0" in created["ics"]
    assert created["reminder_offsets_minutes"] == [1440, 120]
    board = world.http.get("/api/deals/pipelines/furniture/board", headers=world.headers("boss", "head"))
    counts = {column["stage"]: column["count"] for column in board.get_json()["columns"]}
    assert (counts["new"], counts["measurement_booked"]) == (0, 1)


def test_a_cancelled_booking_sends_the_invites_cancellation_with_a_higher_sequence(world, company):
    # given
    booked = company.book(kyiv(5, 10), company.ivan["id"]).get_json()
    world.router.deliver_all()
    path = company.manage_path(booked["manage_url"])
    # when
    world.http.post(path.replace("?token", "/cancel?token"))
    world.router.deliver_all()
    # then
    (cancelled,) = company.tap.events("BookingCancelled")
    assert cancelled["by_client"] is True and cancelled["sequence"] == 1
    assert "METHOD:CANCEL" in cancelled["ics"] and "SEQUENCE:1" in cancelled["ics"]


def test_staff_book_a_known_client_and_booking_is_announced_at_once(world, company):
    # given
    body = {"services": ["measurement"], "start": kyiv(5, 10), "staff_id": company.petro["id"],
            "client_id": "client-1", "address": "Київ, вул. Січових Стрільців, 5",
            "zone": "left"}  # fmt: skip
    # when
    response = world.http.post(f"{BOOKING}/bookings", json=body, headers=world.headers("olena", "manager"))
    # then
    assert response.status_code == 201, response.get_json()
    (created,) = company.tap.events("BookingCreated")
    assert (created["client_id"], created["staff_id"]) == ("client-1", world.user_id("petro"))


def test_travel_time_between_zones_is_kept_between_visits(world, company):
    # given: Petro is at a visit in the left bank 10:00–11:00; the next one is in the centre (45 min away)
    body = {"services": ["measurement"], "start": kyiv(5, 10), "staff_id": company.petro["id"],
            "client_id": "client-1", "address": "Лівий берег", "zone": "left"}  # fmt: skip
    world.http.post(f"{BOOKING}/bookings", json=body, headers=world.headers("olena", "manager"))
    # when
    starts = company.starts(staff_id=company.petro["id"], zone="centre")
    # then
    assert kyiv(5, 11) not in starts and kyiv(5, 12) in starts and kyiv(5, 9) not in starts


def test_staff_move_a_booking_and_the_sequence_grows(world, company):
    # given
    booked = company.book(kyiv(5, 10), company.ivan["id"]).get_json()
    # when
    moved = world.http.post(
        f"{BOOKING}/bookings/{booked['booking_id']}/move",
        json={"start": kyiv(5, 16), "staff_id": company.petro["id"], "version": 1},
        headers=world.headers("olena", "manager"),
    )
    # then
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["sequence"], moved.get_json()["staff_name"]) == (1, "Петро")
    assert company.calendar(company.ivan["id"]) == []
    assert kyiv(5, 10) in company.starts(staff_id=company.ivan["id"])


def test_blocked_time_is_not_offered_and_cannot_be_booked(world, company):
    # given
    world.http.post(
        f"{BOOKING}/blocks",
        json={
            "owner_id": company.ivan["id"],
            "start": kyiv(5, 9),
            "end": kyiv(5, 12),
            "note": "Авто в сервісі",
        },
        headers=world.headers("boss", "head"),
    )
    # when
    response = company.book(kyiv(5, 11), company.ivan["id"])
    # then
    assert response.status_code == 409
    assert company.starts(staff_id=company.ivan["id"])[0] == kyiv(5, 12)


def test_a_field_worker_sees_his_own_calendar_only(world, company):
    # when
    own = world.http.get(f"{BOOKING}/calendar?owner_id={company.petro['id']}&from=2027-01-05&days=7",
                         headers=world.headers("petro", "measurer"))  # fmt: skip
    other = world.http.get(f"{BOOKING}/calendar?owner_id={company.ivan['id']}&from=2027-01-05&days=7",
                           headers=world.headers("petro", "measurer"))  # fmt: skip
    # then
    assert own.status_code == 200
    assert other.status_code == 403


def test_only_admin_and_head_define_services(world, company):
    # when
    response = world.http.post(
        f"{BOOKING}/services", json={"key": "x", "name": "X", "duration_minutes": 30}, headers=world.headers()
    )
    # then
    assert response.status_code == 403


def test_erasing_a_client_scrubs_what_the_visitor_typed_from_their_bookings(world, company):
    # given
    booked = company.book(kyiv(5, 10), company.ivan["id"]).get_json()
    world.router.deliver_all()
    (created,) = company.tap.events("BookingCreated")
    # when
    world.publish(ClientErased(client_id=created["client_id"], placeholder_name="Видалений клієнт"))
    # then
    booking = world.http.get(
        f"{BOOKING}/bookings/{booked['booking_id']}", headers=world.headers("boss", "head")
    )
    assert booking.get_json()["visitor"] is None and booking.get_json()["address"] is None


def test_a_merged_clients_bookings_move_to_the_surviving_client(world, company):
    # given
    body = {"services": ["measurement"], "start": kyiv(5, 10), "client_id": "client-old", "address": "Київ"}
    booked = world.http.post(
        f"{BOOKING}/bookings", json=body, headers=world.headers("olena", "manager")
    ).get_json()
    # when
    world.publish(
        ClientMerged(survivor_id="client-new", merged_id="client-old", name="Олена", client_version=2)
    )
    # then
    booking = world.http.get(f"{BOOKING}/bookings/{booked['id']}", headers=world.headers("boss", "head"))
    assert booking.get_json()["client_id"] == "client-new"


def test_a_leaver_is_no_longer_offered_and_his_bookings_stay_listed_for_reassignment(world, company):
    # given
    body = {"services": ["measurement"], "start": kyiv(5, 10), "staff_id": company.petro["id"],
            "client_id": "client-1", "address": "Київ"}  # fmt: skip
    world.http.post(f"{BOOKING}/bookings", json=body, headers=world.headers("olena", "manager"))
    # when
    world.publish(
        StaffDeactivated(
            user_id=world.user_id("petro"), username="petro", hand_over_to=None, deactivated_at=NOW
        )
    )
    # then
    measurers = world.http.get(f"{BOOKING}/public/staff?services=measurement").get_json()["items"]
    assert [m["name"] for m in measurers] == ["Іван"]
    assert len(company.calendar(company.petro["id"])) == 1


def test_the_office_lists_a_clients_bookings_and_those_of_one_deal(world, company):
    # given: two visits of one client, one of them for his deal, and another client's visit
    office = world.headers("olena", "manager")
    for start, client, deal in ((kyiv(5, 10), "client-7", "deal-7"), (kyiv(6, 10), "client-7", None),
                                (kyiv(7, 10), "client-8", "deal-8")):  # fmt: skip
        body = {
            "services": ["measurement"],
            "start": start,
            "client_id": client,
            "deal_id": deal,
            "address": "Київ",
        }
        assert world.http.post(f"{BOOKING}/bookings", json=body, headers=office).status_code == 201
    # when
    of_client = world.http.get(f"{BOOKING}/bookings?client_id=client-7", headers=office).get_json()
    of_deal = world.http.get(
        f"{BOOKING}/bookings?client_id=client-7&deal_id=deal-7", headers=office
    ).get_json()
    # then
    assert [item["starts_at"] for item in of_client["items"]] == [kyiv(6, 10), kyiv(5, 10)]
    assert [(item["deal_id"], item["starts_at"]) for item in of_deal["items"]] == [("deal-7", kyiv(5, 10))]


def test_a_field_worker_cannot_list_a_clients_bookings(world, company):
    # when
    response = world.http.get(
        f"{BOOKING}/bookings?client_id=client-7", headers=world.headers("petro", "measurer")
    )
    # then
    assert response.status_code == 403


def test_listing_bookings_without_a_client_is_a_422(world, company):
    # when
    response = world.http.get(f"{BOOKING}/bookings", headers=world.headers("olena", "manager"))
    # then
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "client_id"
