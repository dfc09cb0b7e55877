"""Requests from channels: linked to the client who already has the phone, e-mail or
messenger id, or a new client; on the timeline; never lost, never doubled."""

from __future__ import annotations

from test_client_card import create, get

from lanka_platform.contracts.booking import WidgetRequestReceived
from lanka_platform.contracts.notifications import RequestReceived


def request(**fields):
    return RequestReceived(
        request_id=fields.pop("request_id", "req-1"), channel=fields.pop("channel", "website"), **fields
    )


def test_a_request_with_a_known_phone_is_linked_to_that_client(world):
    # given
    client = create(world, {"name": "Олена Петренко", "phone": "0671234567"})
    # when
    world.publish(request(name="Олена", phone="+38 (067) 123-45-67", message="Хочу кухню"))
    # then
    assert len(get(world, "/clients", user="boss", role="head", owner="all").get_json()["items"]) == 1
    requests = get(world, f"/clients/{client['id']}/timeline", kind="request").get_json()["items"]
    assert [(r["detail"]["channel"], r["detail"]["message"]) for r in requests] == [("website", "Хочу кухню")]


def test_a_request_from_someone_new_makes_an_unassigned_client(world):
    # when
    world.publish(request(name="Тарас", telegram="@taras_k", channel="telegram"))
    # then
    (client,) = get(world, "/clients", user="boss", role="head", owner="unassigned").get_json()["items"]
    card = get(world, f"/clients/{client['id']}", user="boss", role="head").get_json()
    assert card["telegram"] == "taras_k" and card["source_channel"] == "telegram"


def test_an_unreadable_phone_is_kept_in_the_message_and_the_request_is_not_lost(world):
    # when
    world.publish(request(name="Ірина", phone="12", message="Передзвоніть"))
    # then
    (client,) = get(world, "/clients", user="boss", role="head", owner="all").get_json()["items"]
    (entry,) = get(
        world, f"/clients/{client['id']}/timeline", user="boss", role="head", kind="request"
    ).get_json()["items"]
    assert entry["detail"]["message"] == "Передзвоніть\nphone: 12"


def test_a_redelivered_request_makes_one_client_and_one_timeline_entry(world):
    # when
    event_id = world.publish(request(name="Ірина", phone="0501234567"))
    world.publish(request(name="Ірина", phone="0501234567"), event_id=event_id)
    # then
    (client,) = get(world, "/clients", user="boss", role="head", owner="all").get_json()["items"]
    entries = get(
        world, f"/clients/{client['id']}/timeline", user="boss", role="head", kind="request"
    ).get_json()
    assert len(entries["items"]) == 1


def test_the_timeline_gathers_what_every_service_says_about_the_client(world):
    # given
    from datetime import UTC, datetime

    from lanka_platform.contracts import booking, deals, notifications

    client = create(world, {"name": "Олена", "phone": "0671234567"})
    cid = client["id"]
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    # when: one event of each kind, delivered newest first
    for event in reversed(
        [
            deals.CallLogged(
                call_id="c1", client_id=cid, direction="in", duration_seconds=95, result="замір у пн"
            ),
            booking.BookingCreated(booking_id="b1", client_id=cid, service="measurement", starts_at=at),
            booking.QuoteAccepted(quote_id="q1", client_id=cid, amount=4_500_000),
            deals.DocumentSent(document_id="d1", deal_id="x", kind="invoice", client_id=cid),
            deals.PaymentReceived(payment_id="p1", deal_id="x", amount=2_000_000, client_id=cid),
            notifications.MessageReceived(message_id="m1", client_id=cid, channel="viber", text="Дякую!"),
            deals.MessageRequested(message_id="m2", client_id=cid, template="payment_received"),
            booking.BookingCancelled(booking_id="b1", client_id=cid, service="measurement", by_client=True),
        ]
    ):
        world.publish(event)
    # then
    kinds = [e["kind"] for e in get(world, f"/clients/{cid}/timeline", limit=100).get_json()["items"]]
    assert {"call", "booking", "quote", "document", "payment", "message", "client"} == set(kinds)
    calls = get(world, f"/clients/{cid}/timeline", kind="call").get_json()["items"]
    assert calls[0]["detail"]["result"] == "замір у пн"


def test_a_widget_request_makes_a_client_with_the_visit_address_and_a_deal_with_the_price(world):
    # when a visitor prices a wardrobe in the calculator
    world.publish(
        WidgetRequestReceived(
            request_id="quote-1",
            channel="price_widget",
            name="Марта Коваль",
            phone="0931112233",
            address="вул. Хрещатик, 1, кв. 2",
            subject="Шафа-купе 2400×600",
            amount=2_450_000,
        )
    )
    # then the client has the address and the deal opens with the calculated amount
    (found,) = get(world, "/clients", user="boss", role="head", owner="all").get_json()["items"]
    card = get(world, f"/clients/{found['id']}", user="boss", role="head").get_json()
    assert [a["line"] for a in card["addresses"]] == ["вул. Хрещатик, 1, кв. 2"]
    assert card["source_channel"] == "price_widget"
    deals = world.http.get(
        "/api/deals/deals", headers=world.headers("boss", "head"), query_string={"owner": "unassigned"}
    )
    (deal,) = deals.get_json()["items"]
    assert (deal["title"], deal["amount"]) == ("Шафа-купе 2400×600", 2_450_000)
    assert deal["client_id"] == found["id"]
