"""Automation through events and the API: the default furniture chain step by step, rules
as data per pipeline (saved whole, refused when wrong), conditions and actions, the loop
guard, and events delivered twice or out of order."""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta

import boto3
from deal_world import (
    T0,
    Tap,
    call,
    complete,
    deal,
    deal_tasks,
    due,
    mine,
    ok,
    on_clock,
    publish_at,
    queue,
    take,
)

from lanka_platform.contracts.booking import BookingCancelled, BookingCreated, QuoteAccepted
from lanka_platform.contracts.clients import ClientRequestReceived
from lanka_platform.contracts.deals import PaymentReceived
from lanka_platform.contracts.notifications import MessageReceived

# Wednesday 3 March 2027, 10:00 in Kyiv.
VISIT = T0 + timedelta(days=2, hours=1)


def client(world, name="Олена Петренко", phone="0671234567"):
    response = world.http.post(
        "/api/clients/clients", json={"name": name, "phone": phone}, headers=world.headers()
    )
    assert response.status_code == 201, response.get_json()
    world.router.deliver_all()
    return response.get_json()["id"]


def request(world, client_id, at, request_id="r1", owner="olena"):
    """A request from the website, as the clients service announces it once it knows whose."""
    world.token(owner, "manager")
    publish_at(
        world,
        ClientRequestReceived(
            request_id=request_id,
            client_id=client_id,
            client_created=False,
            name="Олена Петренко",
            owner_id=world.user_id(owner),
            channel="website",
            subject="Кухня 3,2 м",
        ),
        at,
    )
    (card,) = [d for d in ok(call(world, "GET", "/deals", owner))["items"] if d["client_id"] == client_id]
    return card["id"]


def one(tasks, kind):
    (task,) = [task for task in tasks if task["kind"] == kind]
    return task


def new_deal(world, client_id, **fields):
    return ok(call(world, "POST", "/deals", json={"client_id": client_id, "title": "Кухня", **fields}), 201)


def test_the_furniture_chain_runs_from_a_request_to_the_installation(world):
    clock = on_clock(world)
    tap = Tap()
    client_id = client(world)
    olena = world.user_id("olena")

    # 1. A request opens a deal in "new": its manager must contact the client in 15 minutes.
    deal_id = request(world, client_id, T0)
    contact = one(mine(world), "contact_client")
    assert deal(world, deal_id)["stage"] == "new"
    assert (contact["deal_id"], contact["assignee_id"], contact["due_at"]) == (
        deal_id,
        olena,
        due(T0 + timedelta(minutes=15)),
    )
    assert contact["priority"] == "high"

    # 2. She calls: the deal is "contacted".
    clock.advance(minutes=10)
    complete(world, contact["id"], result="Домовились про замір")
    world.router.deliver_all()
    assert deal(world, deal_id)["stage"] == "contacted"

    # 3. A measurement is booked: the deal moves on, the measurers get the visit at its time.
    clock.advance(minutes=5)
    publish_at(
        world,
        BookingCreated(
            booking_id="b1", client_id=client_id, deal_id=deal_id, service="measurement", starts_at=VISIT
        ),
        clock.now,
    )
    assert deal(world, deal_id)["stage"] == "measurement_booked"
    measure = one(queue(world, "measurer", "petro"), "measure")
    assert (measure["due_at"], measure["reminders"]) == (due(VISIT), [60])
    take(world, measure["id"], "petro", "measurer")

    # 4. The measurer is done: "measured", and the designers get the job to price, in a day.
    clock.now = VISIT + timedelta(hours=1)
    complete(world, measure["id"], "petro", "measurer", result="3,2 м, кут 90°")
    world.router.deliver_all()
    assert deal(world, deal_id)["stage"] == "measured"
    price = one(queue(world, "designer", "dasha"), "price_job")
    assert price["due_at"] == due(clock.now + timedelta(days=1))

    # 5. The designer prices it: "pricing", and the manager is to call with the price in 2 hours.
    clock.advance(hours=3)
    take(world, price["id"], "dasha", "designer")
    complete(world, price["id"], "dasha", "designer", result="45 000 грн")
    world.router.deliver_all()
    assert deal(world, deal_id)["stage"] == "pricing"
    call_back = one(mine(world), "call_with_price")
    assert (call_back["assignee_id"], call_back["due_at"]) == (olena, due(clock.now + timedelta(hours=2)))

    # 6. The client agrees: the invoice is made and sent to the client, the deal is "invoiced".
    clock.advance(minutes=30)
    complete(world, call_back["id"], result="Погодилась", move_to="price_agreed")
    world.router.deliver_all()
    assert deal(world, deal_id)["stage"] == "invoiced"
    assert [(d["deal_id"], d["template"]) for d in tap.events("DocumentRequested")] == [(deal_id, "invoice")]
    (invoice,) = tap.events("MessageRequested")
    assert (invoice["template"], invoice["client_id"]) == ("invoice", client_id)
    assert invoice["attachments"][0]["filename"].endswith(".pdf")

    # 7. The payment arrives: "paid", the client is thanked, production gets the order.
    clock.advance(days=1)
    publish_at(world, PaymentReceived(payment_id="p1", deal_id=deal_id, amount=4_500_000), clock.now)
    assert deal(world, deal_id)["stage"] == "in_production"
    produce = one(queue(world, "production", "vasyl"), "produce")
    assert produce["due_at"] == due(clock.now + timedelta(days=14))
    assert [(m["template"], m["client_id"]) for m in tap.events("MessageRequested")] == [
        ("invoice", client_id),
        ("payment_received", client_id),
    ]

    # 8. Production marks it ready: the client is told, the manager agrees a delivery time.
    clock.advance(days=10)
    take(world, produce["id"], "vasyl", "production")
    complete(world, produce["id"], "vasyl", "production", result="Готово")
    world.router.deliver_all()
    assert deal(world, deal_id)["stage"] == "ready"
    agree = one(mine(world), "agree_delivery")
    assert agree["due_at"] == due(clock.now + timedelta(hours=4))
    assert [m["template"] for m in tap.events("MessageRequested")] == [
        "invoice",
        "payment_received",
        "order_ready",
    ]

    # 9. The delivery is agreed: the installers get the job.
    clock.advance(hours=1)
    complete(world, agree["id"], result="Субота, 10:00")
    world.router.deliver_all()
    assert deal(world, deal_id)["stage"] == "delivery_agreed"
    install = one(queue(world, "installer", "mykola"), "install")
    assert install["due_at"] == due(clock.now + timedelta(days=3))

    # 10. Installed: the deal is won.
    clock.advance(days=2)
    take(world, install["id"], "mykola", "installer")
    complete(world, install["id"], "mykola", "installer", result="Встановлено")
    world.router.deliver_all()
    won = deal(world, deal_id)
    assert (won["stage"], won["outcome"]) == ("installed", "won")
    # then: one task per step, every one done, and each message asked for once
    tasks = deal_tasks(world, deal_id)
    assert [t["kind"] for t in tasks] == [
        "contact_client", "measure", "price_job", "call_with_price", "produce", "agree_delivery", "install",
    ]  # fmt: skip
    assert {t["status"] for t in tasks} == {"done"}
    assert len(tap.events("MessageRequested")) == 3
    assert [(j["role"], j["job_id"]) for j in tap.events("FieldJobAssigned")] == [
        ("measurer", measure["id"]),
        ("designer", price["id"]),
        ("production", produce["id"]),
        ("installer", install["id"]),
    ]


def test_a_measurer_booked_by_name_gets_the_visit_without_the_queue(world):
    # given
    on_clock(world)
    tap = Tap()
    client_id = client(world)
    deal_id = request(world, client_id, T0)
    world.token("petro", "measurer")
    # when
    publish_at(
        world,
        BookingCreated(
            booking_id="b1",
            client_id=client_id,
            service="measurement",
            starts_at=VISIT,
            staff_id=world.user_id("petro"),
        ),
        T0,
    )
    # then: the booking named only the client; it went to the client's open deal
    assert queue(world, "measurer", "ivan") == []
    measure = one(mine(world, "petro", "measurer"), "measure")
    assert measure["deal_id"] == deal_id
    assert [j["job_id"] for j in tap.events("FieldJobAssigned")] == [measure["id"]]


def test_a_booking_naming_only_the_client_applies_to_the_newest_open_deal(world):
    # given
    on_clock(world)
    client_id = client(world)
    older = new_deal(world, client_id, title="Шафа")
    call(
        world,
        "POST",
        f"/deals/{older['id']}/move",
        json={"to_stage": "lost", "version": 1, "lost_reason": "Дорого"},
    )
    newer = new_deal(world, client_id, title="Кухня")
    world.router.deliver_all()
    # when
    publish_at(world, BookingCreated(booking_id="b1", client_id=client_id, service="measurement"), T0)
    # then
    assert deal(world, newer["id"])["stage"] == "measurement_booked"
    assert deal(world, older["id"])["stage"] == "lost"
    measure = one(deal_tasks(world, newer["id"]), "measure")
    assert measure["due_at"] == due(T0 + timedelta(days=1))  # no visit time: due in a day


def test_a_cancelled_measurement_is_told_to_the_deals_manager(world):
    # given
    on_clock(world)
    tap = Tap()
    client_id = client(world)
    deal_id = request(world, client_id, T0)
    # when
    publish_at(world, BookingCancelled(booking_id="b1", client_id=client_id, service="measurement"), T0)
    # then
    (notice,) = tap.events("StaffNotificationRequested")
    assert (notice["user_id"], notice["deal_id"]) == (world.user_id("olena"), deal_id)


def test_a_redelivered_event_creates_no_second_task_and_no_second_message(world):
    # given
    on_clock(world)
    tap = Tap()
    client_id = client(world)
    deal_id = request(world, client_id, T0)
    booking = BookingCreated(booking_id="b1", client_id=client_id, deal_id=deal_id, service="measurement")
    # when
    first = publish_at(world, booking, T0)
    publish_at(world, booking, T0, event_id=first)
    opened = deal(world, deal_id)
    ok(
        call(
            world,
            "POST",
            f"/deals/{deal_id}/move",
            json={"to_stage": "invoiced", "version": opened["version"]},
        )
    )
    world.router.deliver_all()
    payment = PaymentReceived(payment_id="p1", deal_id=deal_id, amount=100_00)
    paid = publish_at(world, payment, T0)
    publish_at(world, payment, T0, event_id=paid)
    # then
    kinds = [task["kind"] for task in deal_tasks(world, deal_id)]
    assert sorted(kinds) == ["contact_client", "measure", "produce"]
    assert [m["template"] for m in tap.events("MessageRequested")] == ["payment_received"]


def _deliver_shuffled(world):
    """Deliver what waits for deals in waves, each wave newest first and then all again."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="lanka-deals-inbox")["QueueUrl"]
    consumer = world.services["deals"].consumer()
    while True:
        for name in ("clients", "booking", "notifications"):
            while world.router.deliver(name):
                pass
        messages = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            messages += batch
            for message in batch:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if not messages:
            return
        for message in [*reversed(messages), *messages]:
            outcome = consumer.handle_record({"messageId": message["MessageId"], "body": message["Body"]})
            assert outcome.status != "failed"


def test_events_delivered_twice_and_out_of_order_make_each_task_and_message_once(world):
    # given
    on_clock(world)
    tap = Tap()
    client_id = client(world)
    opened = new_deal(world, client_id)
    publish_at(
        world,
        BookingCreated(booking_id="b1", client_id=client_id, deal_id=opened["id"], service="measurement"),
        T0,
        deliver=False,
    )
    # when
    _deliver_shuffled(world)
    booked = deal(world, opened["id"])
    ok(
        call(
            world,
            "POST",
            f"/deals/{opened['id']}/move",
            json={"to_stage": "price_agreed", "version": booked["version"]},
        )
    )
    _deliver_shuffled(world)
    publish_at(
        world, PaymentReceived(payment_id="p1", deal_id=opened["id"], amount=100_00), T0, deliver=False
    )
    _deliver_shuffled(world)
    # then
    assert sorted(t["kind"] for t in deal_tasks(world, opened["id"])) == [
        "contact_client",
        "measure",
        "produce",
    ]
    assert [d["template"] for d in tap.events("DocumentRequested")] == ["invoice"]
    assert [m["template"] for m in tap.events("MessageRequested")] == ["invoice", "payment_received"]
    assert deal(world, opened["id"])["stage"] == "in_production"
    board = ok(call(world, "GET", "/pipelines/furniture/board", "boss", "head"))
    counts = {column["stage"]: column["count"] for column in board["columns"]}
    assert counts["in_production"] == 1 and sum(counts.values()) == 1


# ------------------------------------------------------------------------------ rules as data


def rules_of(world, pipeline="furniture"):
    return ok(call(world, "GET", f"/pipelines/{pipeline}/rules", "root", "admin"))


def save_rules(world, rules, version, pipeline="furniture", user="root", role="admin", **extra):
    return call(
        world,
        "PUT",
        f"/pipelines/{pipeline}/rules",
        user,
        role,
        json={"version": version, "rules": rules, **extra},
    )


def test_the_furniture_rules_come_with_the_default_pipeline_and_are_replaced_whole(world):
    # given
    ok(call(world, "GET", "/pipelines"))
    shipped = rules_of(world)
    mine_only = [rule for rule in shipped["rules"] if rule["id"] != "measurement_cancelled"]
    # when
    by_manager = save_rules(world, mine_only, shipped["version"], user="olena", role="manager")
    saved = save_rules(world, mine_only, shipped["version"])
    stale = save_rules(world, shipped["rules"], shipped["version"])
    # then
    assert shipped["version"] == 1 and len(shipped["rules"]) == 17
    assert by_manager.status_code == 403
    assert ok(saved)["version"] == 2
    assert stale.status_code == 409
    assert len(rules_of(world)["rules"]) == 16


def test_a_template_pipeline_comes_with_the_templates_rules(world):
    # when
    salon = ok(call(world, "POST", "/pipelines/templates/salon", "root", "admin"), 201)
    # then
    assert [rule["id"] for rule in rules_of(world, salon["id"])["rules"]] == [
        "contact_new_request",
        "booked",
        "booking_cancelled",
    ]


def test_bad_rules_are_refused_at_save_with_the_path_of_each_mistake(world):
    # given
    ok(call(world, "GET", "/pipelines"))

    def entered(stage, *actions, rule_id=None):
        return {
            "id": rule_id or f"on_{stage}",
            "name": stage,
            "trigger": {"type": "deal_entered_stage", "stage": stage},
            "actions": list(actions),
        }

    # when
    unknown = save_rules(world, [entered("nowhere", {"type": "move_deal", "to_stage": "contacted"})], 1)
    missing = save_rules(world, [entered("new", {"type": "create_task", "title": "Подзвонити"})], 1)
    looping = save_rules(
        world,
        [
            entered("new", {"type": "move_deal", "to_stage": "contacted"}),
            entered("contacted", {"type": "move_deal", "to_stage": "new"}),
        ],
        1,
    )
    # then
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.get_json()["errors"]] == ["rules.0.trigger.stage"]
    assert missing.status_code == 422
    assert {e["field"] for e in missing.get_json()["errors"]} == {"rules.0.actions.0.create_task.kind"}
    assert looping.status_code == 422
    assert "new → contacted → new" in looping.get_json()["errors"][0]["message"]
    assert rules_of(world)["version"] == 1  # nothing half-saved


def test_conditions_choose_the_deals_and_field_changes_are_one_write(world):
    # given: big deals from Telegram get a VIP mark, the head's attention and a webhook
    on_clock(world)
    tap = Tap()
    ok(call(world, "GET", "/pipelines"))
    world.token("boss", "head")
    rule = {
        "id": "vip",
        "name": "Великі замовлення",
        "trigger": {"type": "deal_entered_stage", "stage": "new"},
        "conditions": [
            {"field": "deal.amount", "op": "gte", "value": 10_000_000},
            {"field": "deal.source_channel", "op": "in", "value": ["telegram", "viber"]},
        ],
        "actions": [
            {"type": "set_field", "field": "deal.custom.vip", "value": True},
            {"type": "assign_owner", "user_id": world.user_id("boss")},
            {"type": "move_deal", "to_stage": "contacted"},
            {"type": "notify", "role": "head", "text": "Велике замовлення"},
            {"type": "call_webhook", "url": "https://erp.example.com/hooks/lanka", "secret_ref": "erp"},
        ],
    }
    ok(save_rules(world, [rule], 1))
    client_id = client(world)
    # when
    big = new_deal(world, client_id, amount=12_000_000, source_channel="telegram")
    small = new_deal(world, client_id, amount=12_000_000, source_channel="website")
    world.router.deliver_all()
    # then
    after = deal(world, big["id"])
    assert (after["stage"], after["owner_id"], after["custom"], after["version"]) == (
        "contacted",
        world.user_id("boss"),
        {"vip": True},
        2,
    )
    assert deal(world, small["id"])["version"] == 1
    assert [(n["role"], n["text"]) for n in tap.events("StaffNotificationRequested")] == [
        ("head", "Велике замовлення")
    ]
    (hook,) = tap.events("WebhookRequested")
    assert (hook["url"], hook["secret_ref"], hook["body"]["deal"]["id"]) == (
        "https://erp.example.com/hooks/lanka",
        "erp",
        big["id"],
    )
    assert [e["deal_version"] for e in tap.events("DealStageChanged")] == [2]
    assert [(e["deal_version"], e["changed"]) for e in tap.events("DealUpdated")] == [
        (2, ["custom", "owner_id"])
    ]


def test_a_message_or_an_accepted_quote_from_the_client_triggers_rules(world):
    # given
    on_clock(world)
    ok(call(world, "GET", "/pipelines"))
    rules = [
        {
            "id": "reply",
            "name": "Клієнт написав",
            "trigger": {"type": "message_received"},
            "conditions": [{"field": "event.channel", "op": "eq", "value": "viber"}],
            "actions": [
                {
                    "type": "create_task",
                    "title": "Відповісти",
                    "kind": "reply",
                    "assignee": "owner",
                    "due_in_minutes": 30,
                }
            ],
        },
        {
            "id": "quote",
            "name": "Пропозицію прийнято",
            "trigger": {"type": "quote_accepted"},
            "actions": [{"type": "set_field", "field": "deal.title", "value": "Кухня (погоджено)"}],
        },
    ]
    ok(save_rules(world, rules, 1))
    client_id = client(world)
    opened = new_deal(world, client_id)
    world.router.deliver_all()
    # when
    publish_at(
        world, MessageReceived(message_id="m1", client_id=client_id, channel="viber", text="Коли замір?"), T0
    )
    publish_at(
        world, MessageReceived(message_id="m2", client_id=client_id, channel="email", text="Дякую"), T0
    )
    publish_at(world, QuoteAccepted(quote_id="q1", client_id=client_id, amount=100_00), T0)
    # then
    reply = one(deal_tasks(world, opened["id"]), "reply")
    assert (reply["assignee_id"], reply["due_at"]) == (
        world.user_id("olena"),
        due(T0 + timedelta(minutes=30)),
    )
    assert deal(world, opened["id"])["title"] == "Кухня (погоджено)"


def test_a_chain_of_rules_deeper_than_the_limit_is_cut_and_the_cut_is_logged(world, caplog):
    # given: s0 -> s1 -> ... -> s12, each move made by a rule (a chain, not a loop)
    keys = [f"s{number}" for number in range(13)]
    stages = [{"key": key, "name": key} for key in keys]
    stages += [{"key": "won", "name": "Won", "kind": "won"}, {"key": "lost", "name": "Lost", "kind": "lost"}]
    pipeline = ok(
        call(world, "POST", "/pipelines", "root", "admin", json={"name": "Ланцюг", "stages": stages}), 201
    )
    chain = [
        {
            "id": f"next_{a}",
            "name": a,
            "trigger": {"type": "deal_entered_stage", "stage": a},
            "actions": [{"type": "move_deal", "to_stage": b}],
        }
        for a, b in itertools.pairwise(keys)
    ]
    ok(save_rules(world, chain, 0, pipeline=pipeline["id"]))
    client_id = client(world)
    # when
    with caplog.at_level(logging.WARNING, logger="deals"):
        opened = new_deal(world, client_id, pipeline_id=pipeline["id"])
        world.router.deliver_all()
    # then
    assert deal(world, opened["id"])["stage"] == "s10"
    cuts = [r for r in caplog.records if r.getMessage().startswith("Automation cut off")]
    assert len(cuts) == 1
    assert "Олена" not in cuts[0].getMessage()
