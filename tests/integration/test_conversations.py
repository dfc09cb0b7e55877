"""Conversations through the staff API: one thread per client across channels, newest
first and paged; the inbox of the latest ones; a manager sees only his own clients' (and
the unassigned); replies go out on the channel the client used."""

from __future__ import annotations

from inbound_world import (
    API,
    clients_of,
    conversation,
    entries,
    form,
    telegram,
    telegram_update,
    viber,
    viber_message,
)


def _olenas_client(world, phone="0671234567"):
    headers = world.headers()
    client = world.http.post(
        "/api/clients/clients", json={"name": "Марія", "phone": phone}, headers=headers
    ).get_json()
    assert client["owner_id"] == world.user_id("olena")
    world.router.deliver_all()
    return client


def _reply(world, client_id, body, user="olena", role="manager"):
    return world.http.post(
        f"{API}/conversations/{client_id}/replies", json=body, headers=world.headers(user, role)
    )


def test_one_clients_messages_on_every_channel_are_one_thread_newest_first(world):
    # given
    form(world, phone="+380671234567", message="З сайту")
    world.router.deliver_all()
    (client,) = clients_of(world)
    update = telegram_update()
    update["message"].pop("text")
    update["message"]["contact"] = {"phone_number": "+380671234567"}
    telegram(world, update)
    world.router.deliver_all()
    # when
    thread = entries(world, client["id"])
    # then
    assert [e["channel"] for e in thread] == ["telegram", "website"] or [e["channel"] for e in thread] == [
        "website",
        "telegram",
    ]
    assert [e["at"] for e in thread] == sorted((e["at"] for e in thread), reverse=True)


def test_a_conversation_is_paged_with_a_cursor(world):
    # given
    for number in range(3):
        form(world, message=f"Повідомлення {number}", key=f"form-key-{number:04d}")
    world.router.deliver_all()
    (client,) = clients_of(world)
    # when
    first = conversation(world, client["id"], limit=2).get_json()
    rest = conversation(world, client["id"], limit=2, cursor=first["next_cursor"]).get_json()
    # then
    texts = [e["text"] for e in first["items"] + rest["items"]]
    assert sorted(texts) == ["Повідомлення 0", "Повідомлення 1", "Повідомлення 2"]
    assert rest["next_cursor"] is None


def test_a_manager_reads_his_own_clients_conversation(world):
    # given
    client = _olenas_client(world)
    form(world, phone="+380671234567", message="Коли замір?")
    world.router.deliver_all()
    # when
    response = conversation(world, client["id"], user="olena", role="manager")
    # then
    assert [e["text"] for e in response.get_json()["items"]] == ["Коли замір?"]


def test_a_manager_cannot_read_another_managers_clients_conversation(world):
    # given
    client = _olenas_client(world)
    form(world, phone="+380671234567")
    world.router.deliver_all()
    # when
    response = conversation(world, client["id"], user="taras", role="manager")
    # then
    assert response.status_code == 404


def test_a_field_worker_has_no_conversations(world):
    # when
    response = world.http.get(f"{API}/conversations", headers=world.headers("ivan", "installer"))
    # then
    assert response.status_code == 403


def test_the_inbox_lists_a_managers_latest_conversations_and_the_head_sees_all(world):
    # given
    mine = _olenas_client(world)
    form(world, phone="+380671234567", message="Моя клієнтка")
    viber(world, viber_message())
    world.router.deliver_all()
    # when
    olenas = world.http.get(f"{API}/conversations", headers=world.headers()).get_json()["items"]
    unassigned = world.http.get(
        f"{API}/conversations", query_string={"owner": "unassigned"}, headers=world.headers()
    ).get_json()["items"]
    everyone = world.http.get(
        f"{API}/conversations", query_string={"owner": "all"}, headers=world.headers("boss", "head")
    ).get_json()["items"]
    # then
    assert [(c["client_id"], c["preview"]) for c in olenas] == [(mine["id"], "Моя клієнтка")]
    assert [c["last_channel"] for c in unassigned] == ["viber"]
    assert len(everyone) == 2


def test_a_manager_may_not_list_everyones_conversations(world):
    # when
    response = world.http.get(f"{API}/conversations", query_string={"owner": "all"}, headers=world.headers())
    # then
    assert response.status_code == 403


def test_a_handed_over_client_moves_to_the_new_managers_inbox(world):
    # given
    client = _olenas_client(world)
    form(world, phone="+380671234567")
    world.router.deliver_all()
    world.headers("taras", "manager")
    taras = world.user_id("taras")
    # when
    response = world.http.put(
        f"/api/clients/clients/{client['id']}/owner",
        json={"owner_id": taras},
        headers=world.headers("boss", "head"),
    )
    world.router.deliver_all()
    # then
    assert response.status_code == 200, response.get_json()
    olenas = world.http.get(f"{API}/conversations", headers=world.headers()).get_json()["items"]
    tarases = world.http.get(f"{API}/conversations", headers=world.headers("taras")).get_json()["items"]
    assert olenas == [] and [c["client_id"] for c in tarases] == [client["id"]]
    assert conversation(world, client["id"], user="olena").status_code == 404


def test_a_reply_goes_on_the_channel_the_client_last_used(world):
    # given
    telegram(world, telegram_update())
    world.router.deliver_all()
    (client,) = clients_of(world)
    # when
    response = _reply(world, client["id"], {"text": "Доброго дня! Коли зручно зателефонувати?"})
    # then
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["channel"], response.get_json()["direction"]) == ("telegram", "out")
    queued = world.http.get(
        f"{API}/messages", query_string={"client_id": client["id"]}, headers=world.headers("boss", "head")
    ).get_json()["items"]
    assert [(m["channel"], m["status"], m["variables"]["text"]) for m in queued] == [
        ("telegram", "queued", "Доброго дня! Коли зручно зателефонувати?")
    ]
    assert queued[0]["variables"]["address"] == "555"
    assert [e["direction"] for e in entries(world, client["id"])] == ["out", "in"]


def test_a_reply_on_a_chosen_channel(world):
    # given
    form(world, email="olena@example.com")
    world.router.deliver_all()
    (client,) = clients_of(world)
    # when
    response = _reply(world, client["id"], {"text": "Надіслали кошторис", "channel": "sms"}, "boss", "head")
    # then
    assert response.get_json()["channel"] == "sms"


def test_a_reply_to_a_client_who_never_wrote_needs_a_channel(world):
    # given
    client = _olenas_client(world)
    # when
    response = _reply(world, client["id"], {"text": "Доброго дня"})
    # then
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["channel"]


def test_an_empty_reply_is_refused_and_nothing_is_queued(world):
    # given
    telegram(world, telegram_update())
    world.router.deliver_all()
    (client,) = clients_of(world)
    # when
    response = _reply(world, client["id"], {"text": "   "}, "boss", "head")
    # then
    assert response.status_code == 422
    assert len(entries(world, client["id"])) == 1


def test_an_erased_clients_conversation_keeps_no_words(world):
    # given
    telegram(world, telegram_update())
    world.router.deliver_all()
    (client,) = clients_of(world)
    from lanka_platform.contracts.clients import ClientErased

    # when
    world.publish(ClientErased(client_id=client["id"], placeholder_name="Видалений клієнт"))
    # then
    (entry,) = entries(world, client["id"])
    assert entry["text"] == ""
    inbound = [i for i in world.items("notifications") if i["pk"].startswith("INBOUND#")]
    assert all("taras_k" not in i["body"] for i in inbound)


def test_merging_two_clients_joins_their_conversations(world):
    # given
    form(world, phone="+380671234567", message="З телефону")
    telegram(world, telegram_update(text="З телеграму"))
    world.router.deliver_all()
    first, second = clients_of(world)
    # when
    response = world.http.post(
        f"/api/clients/clients/{first['id']}/merge",
        json={"other_id": second["id"]},
        headers=world.headers("boss", "head"),
    )
    world.router.deliver_all()
    # then
    assert response.status_code == 200, response.get_json()
    assert sorted(e["text"] for e in entries(world, first["id"])) == ["З телеграму", "З телефону"]
    inbox = world.http.get(
        f"{API}/conversations", query_string={"owner": "all"}, headers=world.headers("boss", "head")
    ).get_json()["items"]
    assert [c["client_id"] for c in inbox] == [first["id"]]
