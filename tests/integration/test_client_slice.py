"""The first slice end to end: a client is created over the API, its ClientCreated event
travels bus -> SQS -> deals handler, and the deals service keeps the client's name."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3

from lanka_platform.clock import utc_now
from lanka_platform.publisher import EventBridgeBus

OLENA = {"name": "Олена Петренко", "phone": "050 123 45 67", "email": "Olena@Example.COM"}


def create(world, body=OLENA, **headers):
    return world.http.post("/api/clients/clients", json=body, headers=world.headers(**headers))


def test_created_client_has_phone_in_e164_and_a_normalized_email(world):
    # when
    response = create(world)
    # then
    assert response.status_code == 201
    client = response.get_json()
    assert client["phones"] == [{"number": "+380501234567", "label": "mobile"}]
    assert client["emails"] == [{"address": "olena@example.com", "label": "personal"}]
    assert client["name"] == "Олена Петренко"
    assert client["owner_id"] == world.user_id("olena")


def test_created_client_can_be_read_back(world):
    # given
    client_id = create(world).get_json()["id"]
    # when
    response = world.http.get(f"/api/clients/clients/{client_id}", headers=world.headers())
    # then
    assert response.status_code == 200
    assert [phone["number"] for phone in response.get_json()["phones"]] == ["+380501234567"]


def test_deals_learns_the_new_clients_name_through_the_bus(world):
    # given
    client_id = create(world).get_json()["id"]
    # when
    delivered = world.router.deliver_all()
    # then
    assert delivered >= 2  # to deals, and back to clients as the outbox acknowledgement
    card = world.http.get(f"/api/deals/clients/{client_id}", headers=world.headers())
    assert card.status_code == 200
    assert card.get_json()["name"] == "Олена Петренко"


def test_event_carries_the_requests_correlation_id(world):
    # given
    create(world, **{"X-Correlation-Id": "call-42"})
    # when
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="lanka-deals-inbox")["QueueUrl"]
    message = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]
    # then
    detail = json.loads(message["Body"])["detail"]
    assert detail["metadata"]["correlation_id"] == "call-42"
    assert detail["metadata"]["actor"] == world.user_id("olena")


def test_outbox_entry_is_removed_once_the_event_comes_back(world):
    # given
    create(world)
    assert [item for item in world.items("clients") if item["pk"] == "OUTBOX"]
    # when
    world.router.deliver_all()
    # then
    assert not [item for item in world.items("clients") if item["pk"] == "OUTBOX"]


def test_a_redelivered_event_has_one_effect(world):
    # given
    client_id = create(world).get_json()["id"]
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="lanka-deals-inbox")["QueueUrl"]
    body = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0)["Messages"][0][
        "Body"
    ]
    sqs.send_message(QueueUrl=url, MessageBody=body)  # SQS at-least-once: the same event twice
    consumer = world.services["deals"].consumer()
    # when
    world.router.deliver_all()
    # then
    cards = [item for item in world.items("deals") if item["pk"] == f"CLIENT#{client_id}"]
    markers = [item for item in world.items("deals") if item["pk"].startswith("EVENT#")]
    assert len(cards) == 1
    assert len(markers) == 1
    again = consumer.handle_record({"messageId": "m-3", "body": body})
    assert again.status == "duplicate"


def test_an_older_event_never_overwrites_a_newer_name(world):
    # given
    client_id = create(world).get_json()["id"]
    world.router.deliver_all()
    sqs = boto3.client("sqs")
    consumer = world.services["deals"].consumer()
    stale = {
        "version": "0",
        "id": "x",
        "detail-type": "ClientCreated",
        "source": "lanka.clients",
        "detail": {
            "metadata": {
                "event_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
                "version": 1,
                "occurred_at": "2020-01-01T00:00:00Z",
                "correlation_id": "old",
            },
            "data": {"client_id": client_id, "name": "Old name", "kind": "person"},
        },
    }
    assert sqs  # the stale event arrives late, out of order
    # when
    outcome = consumer.handle_record({"messageId": "late", "body": json.dumps(stale)})
    # then
    assert outcome.status == "stale"
    card = world.http.get(f"/api/deals/clients/{client_id}", headers=world.headers())
    assert card.get_json()["name"] == "Олена Петренко"


def test_events_lost_after_commit_are_published_by_the_sweep(world):
    # given: EventBridge unreachable right after the commit (a lost connection)
    clients = world.services["clients"]
    unreachable = boto3.client("events", endpoint_url="http://127.0.0.1:9")
    clients.use(bus=EventBridgeBus(clients.settings, client_factory=lambda: unreachable))
    response = create(world)
    assert response.status_code == 201  # acknowledged: the client and its event are committed
    client_id = response.get_json()["id"]
    world.router.deliver_all()
    assert world.http.get(f"/api/deals/clients/{client_id}", headers=world.headers()).status_code == 404
    # when: the connection is back and the sweep runs after the grace period
    later = utc_now() + timedelta(seconds=clients.settings.outbox_grace_seconds + 1)
    clients.use(clock=lambda: later)
    from lanka_local.router import jobs_of
    from lanka_local.services import load

    sweep = next(job for job in jobs_of({"clients": load("clients")}) if job.name == "outbox_sweep")
    # ClientCreated, and ClientContactsChanged for notifications' contact cards
    assert sweep.run_once() == {"republished": 2}
    world.router.deliver_all()
    # then
    card = world.http.get(f"/api/deals/clients/{client_id}", headers=world.headers())
    assert card.status_code == 200
    assert card.get_json()["name"] == "Олена Петренко"
    assert not [item for item in world.items("clients") if item["pk"] == "OUTBOX"]


def test_a_phone_that_belongs_to_a_client_cannot_make_a_second_one(world):
    # given
    first = create(world).get_json()
    # when
    second = create(world, body={"name": "Інша людина", "phone": "+380 50 123 4567"})
    # then
    assert second.status_code == 409
    assert second.headers["Content-Type"] == "application/problem+json"
    assert second.get_json()["existing_client_id"] == first["id"]
    assert len([item for item in world.items("clients") if item["pk"].startswith("CLIENT#")]) == 1


def test_same_idempotency_key_returns_the_first_answer_and_creates_once(world):
    # given
    headers = {"Idempotency-Key": "create-olena-0001"}
    first = create(world, **headers)
    # when
    second = create(world, **headers)
    # then
    assert second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len([item for item in world.items("clients") if item["pk"].startswith("CLIENT#")]) == 1


def test_same_idempotency_key_with_another_body_is_refused(world):
    # given
    create(world, **{"Idempotency-Key": "create-olena-0002"})
    # when
    other = create(world, body={"name": "Хтось інший"}, **{"Idempotency-Key": "create-olena-0002"})
    # then
    assert other.status_code == 422
    assert other.get_json()["type"].endswith("idempotency-key-reused")


def test_concurrent_requests_with_one_idempotency_key_create_once(world):
    # given: the second request passed the look-up before the first one committed
    from lanka_platform.storage import IdempotencyRecord

    clients = world.services["clients"]
    model = clients.store.model(IdempotencyRecord)
    original_get = model.get
    model.get = classmethod(lambda cls, *args, **kwargs: (_ for _ in ()).throw(model.DoesNotExist()))
    headers = {"Idempotency-Key": "create-olena-race1"}
    try:
        first = create(world, body={"name": "Олена"}, **headers)
        # when
        second = create(world, body={"name": "Олена"}, **headers)
    finally:
        model.get = original_get
    # then
    assert first.status_code == 201
    assert second.status_code == 409
    assert len([item for item in world.items("clients") if item["pk"].startswith("CLIENT#")]) == 1
