"""Inbound channels end to end: the website form, Telegram and Viber bots land in the
client's conversation and timeline, open a deal only when the client has none open, and
forged, replayed or oversized webhooks change nothing."""

from __future__ import annotations

import json

from inbound_world import (
    API,
    clients_of,
    deal_of_request,
    deals_of,
    entries,
    fix_clock,
    form,
    nothing_kept,
    telegram,
    telegram_update,
    viber,
    viber_message,
)


def _timeline(world, client_id, kind):
    response = world.http.get(
        f"/api/clients/clients/{client_id}/timeline",
        query_string={"kind": kind},
        headers=world.headers("boss", "head"),
    )
    return response.get_json()["items"]


# ------------------------------------------------------------------------------ website form


def test_a_website_form_lands_in_a_new_clients_conversation_timeline_and_deal(world):
    # when
    response = form(world, name="Олена Петренко", subject="Кухня")
    world.router.deliver_all()
    # then
    assert response.status_code == 202, response.get_json()
    (client,) = clients_of(world)
    (entry,) = entries(world, client["id"])
    assert (entry["channel"], entry["direction"], entry["text"], entry["subject"]) == (
        "website",
        "in",
        "Хочу кухню",
        "Кухня",
    )
    assert [m["detail"]["text"] for m in _timeline(world, client["id"], "message")] == ["Хочу кухню"]
    assert deal_of_request(world, response.get_json()["id"]) in deals_of(world, client["id"])


def test_a_form_without_consent_is_refused_and_keeps_nothing(world):
    # when
    response = form(world, consent=False)
    world.router.deliver_all()
    # then
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["consent"]
    assert nothing_kept(world) and clients_of(world) == []


def test_a_form_without_a_phone_or_email_is_refused(world):
    # when
    response = form(world, phone=None)
    # then
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["phone"]


def test_a_form_filled_in_by_a_robot_is_answered_like_any_but_kept_nowhere(world):
    # when
    response = form(world, website="http://spam.example")
    world.router.deliver_all()
    # then
    assert response.status_code == 202
    assert nothing_kept(world) and clients_of(world) == []


def test_a_form_sent_twice_with_one_idempotency_key_is_one_request(world):
    # when
    first = form(world, key="form-key-0001")
    second = form(world, key="form-key-0001")
    world.router.deliver_all()
    # then
    assert second.get_json() == {**first.get_json(), "duplicate": True}
    (client,) = clients_of(world)
    assert len(entries(world, client["id"])) == 1


def test_a_caller_past_the_form_limit_gets_429_and_nothing_more_is_kept(world):
    # given
    fix_clock(world)
    for number in range(10):
        assert form(world, phone=f"+3806712345{number:02d}").status_code == 202
    # when
    response = form(world, phone="+380671234599")
    world.router.deliver_all()
    # then
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert len(clients_of(world)) == 10


# ------------------------------------------------------------------------------ deals


def test_a_request_from_a_client_with_an_open_deal_opens_no_second_deal(world):
    # given
    first = form(world).get_json()
    world.router.deliver_all()
    (client,) = clients_of(world)
    # when
    second = form(world, message="А ще шафу").get_json()
    world.router.deliver_all()
    # then
    (deal_id,) = deals_of(world, client["id"])
    assert deal_of_request(world, first["id"]) == deal_of_request(world, second["id"]) == deal_id
    assert [e["text"] for e in entries(world, client["id"])] == ["А ще шафу", "Хочу кухню"]


def test_a_request_from_a_client_whose_deal_is_closed_opens_a_new_deal(world):
    # given
    form(world)
    world.router.deliver_all()
    (client,) = clients_of(world)
    (deal_id,) = deals_of(world, client["id"])
    deal = world.http.get(f"/api/deals/deals/{deal_id}", headers=world.headers("boss", "head")).get_json()
    moved = world.http.post(
        f"/api/deals/deals/{deal_id}/move",
        json={"to_stage": "lost", "version": deal["version"], "lost_reason": "Дорого"},
        headers=world.headers("boss", "head"),
    )
    assert moved.status_code == 200, moved.get_json()
    # when
    again = form(world, message="Повернулась до вас").get_json()
    world.router.deliver_all()
    # then
    assert len(deals_of(world, client["id"])) == 2
    assert deal_of_request(world, again["id"]) not in (None, deal_id)


# ------------------------------------------------------------------------------ Telegram


def test_a_telegram_message_lands_in_the_conversation_and_the_timeline(world):
    # when
    response = telegram(world, telegram_update())
    world.router.deliver_all()
    # then
    assert response.status_code == 200, response.get_json()
    (client,) = clients_of(world)
    assert [(e["channel"], e["text"]) for e in entries(world, client["id"])] == [
        ("telegram", "Добрий день, потрібна шафа")
    ]
    assert [m["detail"]["channel"] for m in _timeline(world, client["id"], "message")] == ["telegram"]


def test_a_telegram_update_with_a_wrong_secret_is_401_and_changes_nothing(world):
    # when
    response = telegram(world, telegram_update(), secret="guessed")
    world.router.deliver_all()
    # then
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert nothing_kept(world) and clients_of(world) == []


def test_a_replayed_telegram_update_changes_nothing(world):
    # given
    telegram(world, telegram_update())
    world.router.deliver_all()
    # when
    replay = telegram(world, telegram_update())
    world.router.deliver_all()
    # then
    assert replay.status_code == 200 and replay.get_json()["duplicate"] is True
    (client,) = clients_of(world)
    assert len(entries(world, client["id"])) == 1
    assert len(deals_of(world, client["id"])) == 1


def test_an_oversized_telegram_update_is_413_and_changes_nothing(world):
    # when
    response = telegram(world, telegram_update(text="ш" * 70_000))
    # then
    assert response.status_code == 413
    assert nothing_kept(world)


def test_a_telegram_update_that_is_not_json_is_400(world):
    # when
    response = telegram(world, {}, raw=b"{not json")
    # then
    assert response.status_code == 400


def test_a_shared_telegram_contact_finds_the_client_with_that_phone(world):
    # given
    olena = world.http.post(
        "/api/clients/clients", json={"name": "Олена", "phone": "0671234567"}, headers=world.headers()
    ).get_json()
    update = telegram_update()
    update["message"].pop("text")
    update["message"]["contact"] = {"phone_number": "+380671234567", "first_name": "Олена"}
    # when
    telegram(world, update)
    world.router.deliver_all()
    # then
    assert [c["id"] for c in clients_of(world)] == [olena["id"]]
    assert [e["channel"] for e in entries(world, olena["id"])] == ["telegram"]


# ------------------------------------------------------------------------------ Viber


def test_a_viber_message_lands_in_the_conversation(world):
    # when
    response = viber(world, viber_message())
    world.router.deliver_all()
    # then
    assert response.status_code == 200, response.get_json()
    (client,) = clients_of(world)
    assert [(e["channel"], e["text"]) for e in entries(world, client["id"])] == [
        ("viber", "Скільки коштує кухня?")
    ]


def test_a_viber_callback_with_a_bad_signature_is_401_and_changes_nothing(world):
    # when
    response = viber(world, viber_message(), token="not-the-bot-token")
    world.router.deliver_all()
    # then
    assert response.status_code == 401
    assert nothing_kept(world) and clients_of(world) == []


def test_a_replayed_viber_message_changes_nothing(world):
    # given
    viber(world, viber_message())
    world.router.deliver_all()
    # when
    replay = viber(world, viber_message())
    world.router.deliver_all()
    # then
    assert replay.get_json()["duplicate"] is True
    (client,) = clients_of(world)
    assert len(entries(world, client["id"])) == 1


def test_a_viber_conversation_start_is_greeted_and_opens_no_request(world):
    # when
    response = viber(
        world,
        {
            "event": "conversation_started",
            "timestamp": 1796720000000,
            "message_token": 1,
            "user": {"id": "01234567890A=", "name": "Ірина"},
        },
    )
    world.router.deliver_all()
    # then
    assert response.get_json()["type"] == "text"
    assert nothing_kept(world) and clients_of(world) == []


def test_the_public_endpoints_are_in_the_openapi_document_without_login(world):
    # when
    document = json.loads(world.http.get(f"{API}/openapi.json").get_data())
    # then
    for path in ("/public/requests", "/webhooks/telegram", "/webhooks/viber", "/webhooks/telephony"):
        assert document["paths"][path]["post"]["security"] == []
