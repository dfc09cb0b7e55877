"""Deals through the API: pipelines and templates, deals from requests with distribution,
moves with optimistic concurrency, the board's counts and sums."""

from __future__ import annotations

from lanka_platform.contracts.notifications import RequestReceived

DEALS = "/api/deals"


def client(world, name="Олена", user="olena", role="manager", **fields):
    response = world.http.post(
        "/api/clients/clients", json={"name": name, **fields}, headers=world.headers(user, role)
    )
    assert response.status_code == 201, response.get_json()
    world.router.deliver_all()
    return response.get_json()


def deal(world, client_id, user="olena", role="manager", **fields):
    response = world.http.post(
        f"{DEALS}/deals",
        json={"client_id": client_id, "title": "Кухня", **fields},
        headers=world.headers(user, role),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def move(world, deal_id, to_stage, version, user="olena", role="manager", **extra):
    return world.http.post(
        f"{DEALS}/deals/{deal_id}/move",
        json={"to_stage": to_stage, "version": version, **extra},
        headers=world.headers(user, role),
    )


def board(world, user="boss", role="head", pipeline="furniture"):
    response = world.http.get(f"{DEALS}/pipelines/{pipeline}/board", headers=world.headers(user, role))
    assert response.status_code == 200, response.get_json()
    return {column["stage"]: column for column in response.get_json()["columns"]}


def test_a_fresh_install_has_the_furniture_pipeline(world):
    # when
    response = world.http.get(f"{DEALS}/pipelines", headers=world.headers())
    # then
    (pipeline,) = response.get_json()["items"]
    assert [stage["key"] for stage in pipeline["stages"]] == [
        "new", "contacted", "measurement_booked", "measured", "pricing", "price_agreed", "invoiced",
        "paid", "in_production", "ready", "delivery_agreed", "installed", "lost",
    ]  # fmt: skip
    assert pipeline["is_default"] is True


def test_salon_and_wholesale_fit_by_configuration(world):
    # when
    salon = world.http.post(f"{DEALS}/pipelines/templates/salon", headers=world.headers("root", "admin"))
    wholesale = world.http.post(
        f"{DEALS}/pipelines/templates/wholesale", headers=world.headers("root", "admin")
    )
    # then
    assert salon.status_code == 201 and wholesale.status_code == 201
    assert world.http.post(f"{DEALS}/pipelines/templates/salon", headers=world.headers()).status_code == 403
    listed = world.http.get(f"{DEALS}/pipelines", headers=world.headers()).get_json()["items"]
    assert {p["name"] for p in listed} == {"Меблі на замовлення", "Салон краси", "Гуртові замовлення"}
    assert [p["name"] for p in listed if p["is_default"]] == ["Меблі на замовлення"]


def test_a_pipeline_without_a_won_stage_is_refused(world):
    # when
    response = world.http.post(
        f"{DEALS}/pipelines",
        json={"name": "X", "stages": [{"key": "a", "name": "A"}, {"key": "b", "name": "B", "kind": "lost"}]},
        headers=world.headers("root", "admin"),
    )
    # then
    assert response.status_code == 422


def test_two_managers_moving_one_card_at_once_get_one_success_and_one_409(world):
    # given
    olena = client(world)
    opened = deal(world, olena["id"], amount=4_500_000)
    # when
    first = move(world, opened["id"], "contacted", 1)
    second = move(world, opened["id"], "measurement_booked", 1, user="boss", role="head")
    # then
    assert first.status_code == 200 and second.status_code == 409
    shown = world.http.get(f"{DEALS}/deals/{opened['id']}", headers=world.headers()).get_json()
    assert shown["stage"] == "contacted" and shown["version"] == 2
    assert [visit["stage"] for visit in shown["history"]] == ["new", "contacted"]
    assert set(shown["seconds_in_stage"]) == {"new", "contacted"}


def test_the_board_counts_and_sums_each_stage_from_events(world):
    # given
    olena = client(world)
    first = deal(world, olena["id"], amount=100_00)
    deal(world, olena["id"], amount=250_00)
    move(world, first["id"], "contacted", 1)
    world.http.patch(
        f"{DEALS}/deals/{first['id']}", json={"version": 2, "amount": 300_00}, headers=world.headers()
    )
    # when
    world.router.deliver_all()
    columns = board(world)
    # then
    assert (columns["new"]["count"], columns["new"]["sum"]) == (1, 250_00)
    assert (columns["contacted"]["count"], columns["contacted"]["sum"]) == (1, 300_00)
    assert [card["id"] for card in columns["contacted"]["cards"]] == [first["id"]]
    assert columns["measured"]["count"] == 0


def test_a_lost_deal_needs_a_configured_reason(world):
    # given
    opened = deal(world, client(world)["id"])
    # when
    without = move(world, opened["id"], "lost", 1)
    with_reason = move(world, opened["id"], "lost", 1, lost_reason="Дорого")
    # then
    assert without.status_code == 422
    assert with_reason.get_json()["outcome"] == "lost"


def test_a_request_opens_a_deal_for_the_clients_own_manager(world):
    # given
    olena = client(world, phone="0671234567")
    # when
    world.publish(
        RequestReceived(request_id="r1", channel="website", phone="+380671234567", subject="Шафа-купе")
    )
    # then
    mine = world.http.get(f"{DEALS}/deals", headers=world.headers()).get_json()["items"]
    assert [(d["title"], d["client_id"]) for d in mine] == [("Шафа-купе", olena["id"])]


def _duty(world, rule, *managers):
    pipeline = world.http.get(
        f"{DEALS}/pipelines/furniture", headers=world.headers("root", "admin")
    ).get_json()
    pipeline["distribution"] = {"rule": rule, "managers": [world.user_id(m) for m in managers]}
    response = world.http.put(
        f"{DEALS}/pipelines/furniture", json=pipeline, headers=world.headers("root", "admin")
    )
    assert response.status_code == 200, response.get_json()


def test_requests_from_new_clients_go_round_robin_to_the_managers_on_duty(world):
    # given
    for name in ("olena", "taras"):
        world.token(name, "manager")
    world.http.get(f"{DEALS}/pipelines", headers=world.headers())
    _duty(world, "round_robin", "olena", "taras")
    # when
    for number in range(4):
        world.publish(
            RequestReceived(request_id=f"r{number}", channel="website", phone=f"06712345{number:02d}")
        )
    # then
    olena = world.http.get(f"{DEALS}/deals", headers=world.headers("olena")).get_json()["items"]
    taras = world.http.get(f"{DEALS}/deals", headers=world.headers("taras")).get_json()["items"]
    assert (len(olena), len(taras)) == (2, 2)


def test_least_loaded_gives_the_request_to_the_manager_with_fewest_open_deals(world):
    # given
    for name in ("olena", "taras"):
        world.token(name, "manager")
    busy = client(world)
    deal(world, busy["id"])
    deal(world, busy["id"])
    world.router.deliver_all()
    _duty(world, "least_loaded", "olena", "taras")
    # when
    world.publish(RequestReceived(request_id="r1", channel="telegram", telegram="@new_client"))
    # then
    taras = world.http.get(f"{DEALS}/deals", headers=world.headers("taras")).get_json()["items"]
    assert len(taras) == 1


def test_without_managers_on_duty_requests_wait_in_the_unassigned_queue_and_the_head_assigns(world):
    # given
    world.publish(RequestReceived(request_id="r1", channel="email", email="new@example.com"))
    (waiting,) = world.http.get(
        f"{DEALS}/deals", query_string={"owner": "unassigned"}, headers=world.headers()
    ).get_json()["items"]
    # when
    refused = world.http.put(
        f"{DEALS}/deals/{waiting['id']}/owner", json={"owner_id": "x"}, headers=world.headers()
    )
    taras = (
        world.user_id("taras")
        if "taras" in world.tokens
        else (world.token("taras", "manager"), world.user_id("taras"))[1]
    )
    assigned = world.http.put(
        f"{DEALS}/deals/{waiting['id']}/owner",
        json={"owner_id": taras},
        headers=world.headers("boss", "head"),
    )
    # then
    assert refused.status_code == 403
    assert assigned.get_json()["owner_id"] == taras
    assert len(world.http.get(f"{DEALS}/deals", headers=world.headers("taras")).get_json()["items"]) == 1


def _waiting(world):
    world.publish(RequestReceived(request_id="r-take", channel="email", email="take@example.com"))
    (waiting,) = world.http.get(
        f"{DEALS}/deals", query_string={"owner": "unassigned"}, headers=world.headers()
    ).get_json()["items"]
    return waiting


def test_a_manager_takes_a_request_nobody_owns_and_it_leaves_the_queue(world):
    # given
    waiting = _waiting(world)
    # when
    taken = world.http.post(f"{DEALS}/deals/{waiting['id']}/take", headers=world.headers("taras"))
    # then
    assert taken.status_code == 200, taken.get_json()
    assert taken.get_json()["owner_id"] == world.user_id("taras")
    queue = world.http.get(f"{DEALS}/deals", query_string={"owner": "unassigned"}, headers=world.headers())
    assert queue.get_json()["items"] == []


def test_a_request_another_manager_took_first_is_a_409_and_stays_his(world):
    # given
    waiting = _waiting(world)
    world.http.post(f"{DEALS}/deals/{waiting['id']}/take", headers=world.headers("olena"))
    # when
    late = world.http.post(f"{DEALS}/deals/{waiting['id']}/take", headers=world.headers("taras"))
    # then
    assert late.status_code == 409
    mine = world.http.get(f"{DEALS}/deals/{waiting['id']}", headers=world.headers("olena")).get_json()
    assert mine["owner_id"] == world.user_id("olena")


def test_a_redelivered_request_opens_one_deal(world):
    # when
    event_id = world.publish(RequestReceived(request_id="r1", channel="website", phone="0671234567"))
    world.publish(RequestReceived(request_id="r1", channel="website", phone="0671234567"), event_id=event_id)
    world.publish(RequestReceived(request_id="r1", channel="website", phone="0671234567"))
    # then
    queue = world.http.get(
        f"{DEALS}/deals", query_string={"owner": "unassigned"}, headers=world.headers()
    ).get_json()
    assert len(queue["items"]) == 1


def test_a_manager_does_not_see_another_managers_deal(world):
    # given
    opened = deal(world, client(world)["id"])
    # then
    assert world.http.get(f"{DEALS}/deals/{opened['id']}", headers=world.headers("taras")).status_code == 404
    assert move(world, opened["id"], "contacted", 1, user="taras").status_code == 404
    assert (
        world.http.get(
            f"{DEALS}/deals/{opened['id']}", headers=world.headers("petro", "measurer")
        ).status_code
        == 403
    )


def test_merging_clients_repoints_their_deals(world):
    # given
    survivor = client(world, name="Олена")
    other = client(world, name="Олена дубль")
    opened = deal(world, other["id"])
    world.http.post(
        f"{DEALS}/tasks", json={"title": "Передзвонити", "deal_id": opened["id"]}, headers=world.headers()
    )
    # when
    world.http.post(
        f"/api/clients/clients/{survivor['id']}/merge",
        json={"other_id": other["id"]},
        headers=world.headers(),
    )
    world.router.deliver_all()
    # then
    moved = world.http.get(f"{DEALS}/deals/{opened['id']}", headers=world.headers()).get_json()
    assert moved["client_id"] == survivor["id"]
    tasks = world.http.get(f"{DEALS}/deals/{opened['id']}/tasks", headers=world.headers()).get_json()["items"]
    assert tasks and all(task["client_id"] == survivor["id"] for task in tasks)


def test_deals_and_their_moves_are_on_the_clients_timeline(world):
    # given
    olena = client(world)
    opened = deal(world, olena["id"], amount=100_00)
    move(world, opened["id"], "contacted", 1)
    # when
    world.router.deliver_all()
    # then
    timeline = world.http.get(
        f"/api/clients/clients/{olena['id']}/timeline", query_string={"kind": "deal"}, headers=world.headers()
    ).get_json()["items"]
    assert [(e["event_type"], e["detail"].get("to_stage")) for e in timeline] == [
        ("DealStageChanged", "contacted"),
        ("DealCreated", None),
    ]
