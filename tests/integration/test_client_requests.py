"""Requests from channels: linked to the client who already has the phone, e-mail or
messenger id, or a new client; on the timeline; never lost, never doubled."""

from __future__ import annotations

from test_client_card import create, get

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
