"""Integrations through the API: scoped API keys for a warehouse and an accounting system
(read deals, mark an order ready, post a payment; 401, 403, 429), and outgoing webhooks
delivered over real HTTP to a receiver on 127.0.0.1, signed, and retried with backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lanka_platform.contracts.deals import TaskCreated, WebhookRequested
from lanka_platform.ids import new_id

DEALS = "/api/deals"
ADMIN = ("root", "admin")


# ------------------------------------------------------------------------------ helpers


class Receiver:
    """An HTTP endpoint of an external system: records what it gets, answers as told."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append((dict(self.headers.items()), body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/lanka"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


class Clock:
    """The deals service's clock, moved by the test (second 10 of a minute: no test runs
    across a minute boundary by accident)."""

    def __init__(self, world) -> None:
        now = datetime.now(UTC)
        self.now = now.replace(second=10, microsecond=0) + timedelta(minutes=1)
        world.services["deals"].use(clock=lambda: self.now)

    def forward(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def sweep() -> dict[str, int]:
    """The `webhooks` schedule, run as Lambda would run it."""
    from lanka_local.router import jobs_of
    from lanka_local.services import load

    job = next(job for job in jobs_of({"deals": load("deals")}) if job.name == "webhooks")
    return job.run_once()


def deal(world, title="Кухня", **fields):
    client = world.http.post("/api/clients/clients", json={"name": "Олена"}, headers=world.headers())
    assert client.status_code == 201, client.get_json()
    world.router.deliver_all()
    response = world.http.post(
        f"{DEALS}/deals",
        json={"client_id": client.get_json()["id"], "title": title, **fields},
        headers=world.headers(),
    )
    assert response.status_code == 201, response.get_json()
    world.router.deliver_all()
    return response.get_json()


def api_key(world, scopes, **fields):
    response = world.http.post(
        f"{DEALS}/integrations/keys",
        json={"name": "Склад", "scopes": scopes, **fields},
        headers=world.headers(*ADMIN),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def webhook(world, url, events):
    response = world.http.post(
        f"{DEALS}/integrations/webhooks",
        json={"url": url, "events": events, "description": "ERP"},
        headers=world.headers(*ADMIN),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliveries(world, webhook_id):
    response = world.http.get(
        f"{DEALS}/integrations/webhooks/{webhook_id}/deliveries", headers=world.headers(*ADMIN)
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def external(world, key, path, method="GET", **kwargs):
    return world.http.open(f"{DEALS}/external{path}", method=method, headers={"X-Api-Key": key}, **kwargs)


def payment(deal_id, reference="PP-2025-0001", amount=1_500_000):
    return {
        "deal_id": deal_id,
        "amount": amount,
        "currency": "UAH",
        "reference": reference,
        "paid_at": "2025-03-30T09:15:00+03:00",
    }


def task_created(deal_id=None):
    return TaskCreated(task_id=new_id(), title="Зателефонувати клієнту", deal_id=deal_id)


def signed(headers, body, secret):
    """What a receiver checks, written as a receiver would (not with Lanka's own code)."""
    parts = dict(part.split("=", 1) for part in headers["X-Lanka-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return parts["t"] == headers["X-Lanka-Timestamp"] and hmac.compare_digest(expected, parts["v1"])


# ------------------------------------------------------------------------------ API keys


def test_a_key_is_shown_once_and_only_its_hash_is_kept(world):
    # when
    issued = api_key(world, ["deals:read"])
    listed = world.http.get(f"{DEALS}/integrations/keys", headers=world.headers(*ADMIN)).get_json()
    # then
    assert issued["key"].startswith(f"lk_{issued['id']}_")
    assert [item["id"] for item in listed["items"]] == [issued["id"]]
    assert "key" not in listed["items"][0]
    secret = issued["key"].removeprefix(f"lk_{issued['id']}_")
    assert len(secret) >= 43
    assert not [item for item in world.items("deals") if secret in json.dumps(item, default=str)]


def test_only_an_admin_issues_keys(world):
    # when
    response = world.http.post(
        f"{DEALS}/integrations/keys",
        json={"name": "Склад", "scopes": ["deals:read"]},
        headers=world.headers(),
    )
    # then
    assert response.status_code == 403


def test_a_wrong_key_is_refused(world):
    # given
    issued = api_key(world, ["deals:read"])
    forged = issued["key"][:-4] + ("AAAA" if not issued["key"].endswith("AAAA") else "BBBB")
    opened = deal(world)
    # when
    responses = [
        external(world, forged, f"/deals/{opened['id']}"),
        external(world, "not-a-key", f"/deals/{opened['id']}"),
        world.http.get(f"{DEALS}/external/deals/{opened['id']}"),
    ]
    # then
    assert [response.status_code for response in responses] == [401, 401, 401]
    assert responses[0].headers["Content-Type"] == "application/problem+json"


def test_a_revoked_key_is_refused(world):
    # given
    issued = api_key(world, ["deals:read"])
    opened = deal(world)
    assert external(world, issued["key"], f"/deals/{opened['id']}").status_code == 200
    # when
    revoked = world.http.delete(f"{DEALS}/integrations/keys/{issued['id']}", headers=world.headers(*ADMIN))
    # then
    assert revoked.status_code == 204
    assert external(world, issued["key"], f"/deals/{opened['id']}").status_code == 401
    listed = world.http.get(f"{DEALS}/integrations/keys", headers=world.headers(*ADMIN)).get_json()
    assert listed["items"][0]["revoked_at"] is not None


def test_a_key_without_the_scope_is_forbidden(world):
    # given
    reader = api_key(world, ["deals:read"])
    opened = deal(world)
    # when
    ready = external(world, reader["key"], f"/deals/{opened['id']}/ready", method="POST")
    paid = external(world, reader["key"], "/payments", method="POST", json=payment(opened["id"]))
    # then
    assert (ready.status_code, paid.status_code) == (403, 403)


def test_a_warehouse_reads_a_deal_without_the_clients_details(world):
    # given
    reader = api_key(world, ["deals:read"])
    opened = deal(world, amount=2_000_000)
    # when
    response = external(world, reader["key"], f"/deals/{opened['id']}")
    # then
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["stage"], body["amount"], body["client_id"]) == (
        opened["id"],
        "new",
        2_000_000,
        opened["client_id"],
    )
    assert "client_name" not in body and "Олена" not in response.get_data(as_text=True)


def test_a_warehouse_lists_a_stage_of_the_board(world):
    # given
    reader = api_key(world, ["deals:read"])
    first, second = deal(world, title="Шафа"), deal(world, title="Кухня")
    # when
    response = external(world, reader["key"], "/deals?stage=new&limit=1")
    following = external(
        world, reader["key"], f"/deals?stage=new&limit=1&cursor={response.get_json()['next_cursor']}"
    )
    unknown = external(world, reader["key"], "/deals?stage=nowhere")
    # then
    assert [card["id"] for card in response.get_json()["items"]] == [second["id"]]
    assert [card["id"] for card in following.get_json()["items"]] == [first["id"]]
    assert "client_name" not in response.get_json()["items"][0]
    assert unknown.status_code == 404


def test_marking_an_order_ready_moves_the_deal_to_ready(world):
    # given
    warehouse = api_key(world, ["deals:read", "deals:ready"])
    opened = deal(world)
    # when
    response = external(world, warehouse["key"], f"/deals/{opened['id']}/ready", method="POST")
    again = external(world, warehouse["key"], f"/deals/{opened['id']}/ready", method="POST")
    world.router.deliver_all()
    # then
    assert response.status_code == 200, response.get_json()
    staff_view = world.http.get(f"{DEALS}/deals/{opened['id']}", headers=world.headers()).get_json()
    assert staff_view["stage"] == "ready"
    assert again.get_json()["version"] == response.get_json()["version"] == staff_view["version"]
    board = world.http.get(f"{DEALS}/pipelines/furniture/board", headers=world.headers("boss", "head"))
    columns = {column["stage"]: column["count"] for column in board.get_json()["columns"]}
    assert (columns["new"], columns["ready"]) == (0, 1)


def test_a_pipeline_without_a_ready_stage_cannot_be_made_ready(world):
    # given
    warehouse = api_key(world, ["deals:ready"])
    salon = world.http.post(f"{DEALS}/pipelines/templates/salon", headers=world.headers(*ADMIN)).get_json()
    opened = deal(world, pipeline_id=salon["id"])
    # when
    response = external(world, warehouse["key"], f"/deals/{opened['id']}/ready", method="POST")
    # then
    assert response.status_code == 409


def test_a_key_use_is_audited(world):
    # given
    warehouse = api_key(world, ["deals:ready"])
    opened = deal(world)
    # when
    external(world, warehouse["key"], f"/deals/{opened['id']}/ready", method="POST")
    # then
    uses = world.http.get(
        f"{DEALS}/integrations/keys/{warehouse['id']}/uses", headers=world.headers(*ADMIN)
    ).get_json()["items"]
    assert [(use["action"], use["method"], use["subject"]) for use in uses] == [
        ("deals:ready", "POST", opened["id"])
    ]


def test_one_payment_reference_posted_twice_is_one_payment_and_one_event(world):
    # given
    accounting = api_key(world, ["payments:write"])
    opened = deal(world)
    # when
    first = external(world, accounting["key"], "/payments", method="POST", json=payment(opened["id"]))
    second = external(world, accounting["key"], "/payments", method="POST", json=payment(opened["id"]))
    # then
    assert (first.status_code, second.status_code) == (201, 201), first.get_json()
    assert second.get_json() == first.get_json()
    assert first.get_json()["client_id"] == opened["client_id"]
    published = [
        json.loads(item["detail"])["data"]
        for item in world.items("deals")
        if item["pk"] == "OUTBOX" and item["detail_type"] == "PaymentReceived"
    ]
    assert published == [
        {
            "payment_id": first.get_json()["id"],
            "deal_id": opened["id"],
            "client_id": opened["client_id"],
            "amount": 1_500_000,
            "currency": "UAH",
            "reference": "PP-2025-0001",
            "paid_at": "2025-03-30T06:15:00Z",
            # The deal has no invoice and no amount: the payment completes nothing.
            "document_id": None,
            "invoice_paid_in_full": False,
        }
    ]


def test_a_reference_reused_for_another_payment_is_a_conflict(world):
    # given
    accounting = api_key(world, ["payments:write"])
    opened = deal(world)
    external(world, accounting["key"], "/payments", method="POST", json=payment(opened["id"]))
    # when
    response = external(
        world, accounting["key"], "/payments", method="POST", json=payment(opened["id"], amount=1)
    )
    # then
    assert response.status_code == 409


def test_a_payment_for_an_unknown_deal_is_refused(world):
    # given
    accounting = api_key(world, ["payments:write"])
    # when
    response = external(world, accounting["key"], "/payments", method="POST", json=payment(new_id()))
    # then
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "deal_id"


def test_a_key_past_its_limit_gets_429_until_the_next_minute(world):
    # given
    clock = Clock(world)
    reader = api_key(world, ["deals:read"], rate_limit_per_minute=2)
    opened = deal(world)
    # when
    statuses = [external(world, reader["key"], f"/deals/{opened['id']}").status_code for _ in range(2)]
    refused = external(world, reader["key"], f"/deals/{opened['id']}")
    clock.forward(minutes=1)
    later = external(world, reader["key"], f"/deals/{opened['id']}")
    # then
    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "50"
    assert later.status_code == 200


# ------------------------------------------------------------------------------ webhooks


def test_a_webhook_url_must_be_https(world):
    # when
    response = world.http.post(
        f"{DEALS}/integrations/webhooks",
        json={"url": "http://erp.example.com/hook", "events": ["DealCreated"]},
        headers=world.headers(*ADMIN),
    )
    # then
    assert response.status_code == 422


def test_a_subscribed_event_is_delivered_signed_with_the_webhooks_secret(world, receiver):
    # given
    hook = webhook(world, receiver.url, ["TaskCreated"])
    listed = world.http.get(f"{DEALS}/integrations/webhooks", headers=world.headers(*ADMIN)).get_json()
    # when
    event_id = world.publish(task_created())
    result = sweep()
    # then
    assert result["delivered"] == 1
    ((headers, body),) = receiver.requests
    assert headers["X-Lanka-Event"] == "TaskCreated"
    assert headers["X-Lanka-Delivery"] == event_id
    assert signed(headers, body, hook["secret"])
    assert not signed(headers, body, "whsec_wrong")
    assert json.loads(body)["data"]["title"] == "Зателефонувати клієнту"
    assert "secret" not in listed["items"][0]


def test_an_event_nobody_subscribed_to_is_not_sent(world, receiver):
    # given
    webhook(world, receiver.url, ["PaymentReceived"])
    # when
    world.publish(task_created())
    sweep()
    # then
    assert receiver.requests == []


def test_a_failing_receiver_gets_the_same_delivery_until_it_succeeds(world, receiver):
    # given: a receiver that fails twice
    clock = Clock(world)
    hook = webhook(world, receiver.url, ["TaskCreated"])
    receiver.answers = [500, 503, 200]
    world.publish(task_created())
    # when: the sweep runs at once, when the first retry is due, and when the second is
    sweep()
    clock.forward(seconds=30)
    sweep()  # the retry is not due yet
    clock.forward(seconds=30)
    sweep()
    clock.forward(minutes=5)
    sweep()
    # then
    assert len(receiver.requests) == 3
    assert len({headers["X-Lanka-Delivery"] for headers, _ in receiver.requests}) == 1
    assert all(signed(headers, body, hook["secret"]) for headers, body in receiver.requests)
    (delivery,) = deliveries(world, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status"]) == ("delivered", 3, 200)
    assert delivery["next_attempt_at"] is None


def test_a_receiver_that_never_answers_well_is_given_up_after_six_attempts(world, receiver):
    # given
    clock = Clock(world)
    hook = webhook(world, receiver.url, ["TaskCreated"])
    receiver.answers = [500] * 10
    world.publish(task_created())
    # when: the sweep runs at every retry (1 min, 5 min, 30 min, 2 h, 6 h) and a day later
    sweep()
    for wait in (1, 5, 30, 120, 360, 24 * 60):
        clock.forward(minutes=wait)
        sweep()
    # then
    assert len(receiver.requests) == 6
    (delivery,) = deliveries(world, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status"]) == ("failed", 6, 500)


def test_a_removed_webhook_gets_nothing_more(world, receiver):
    # given
    hook = webhook(world, receiver.url, ["TaskCreated"])
    world.publish(task_created())
    # when
    removed = world.http.delete(f"{DEALS}/integrations/webhooks/{hook['id']}", headers=world.headers(*ADMIN))
    sweep()
    # then
    assert removed.status_code == 204
    assert receiver.requests == []
    assert deliveries(world, hook["id"])[0]["status"] == "failed"


def test_an_automation_rules_webhook_call_is_signed_with_the_secret_it_names(world, receiver):
    # given: the endpoint registered (for no events) so that rules can sign with its secret
    hook = webhook(world, receiver.url, [])
    call_id = new_id()
    # when
    world.publish(
        WebhookRequested(
            webhook_id=call_id, url=receiver.url, body={"deal": {"id": "D1"}}, secret_ref=hook["id"]
        )
    )
    sweep()
    # then
    ((headers, body),) = receiver.requests
    assert headers["X-Lanka-Delivery"] == call_id
    assert json.loads(body) == {"deal": {"id": "D1"}}
    assert signed(headers, body, hook["secret"])


def test_a_deal_made_ready_by_the_warehouse_is_sent_to_the_erp(world, receiver):
    # given
    hook = webhook(world, receiver.url, ["DealStageChanged"])
    warehouse = api_key(world, ["deals:ready"])
    opened = deal(world)
    # when
    external(world, warehouse["key"], f"/deals/{opened['id']}/ready", method="POST")
    world.router.deliver_all()
    sweep()
    # then
    ((headers, body),) = receiver.requests
    sent = json.loads(body)
    assert (headers["X-Lanka-Event"], sent["data"]["deal_id"], sent["data"]["to_stage"]) == (
        "DealStageChanged",
        opened["id"],
        "ready",
    )
    assert signed(headers, body, hook["secret"])


def test_a_payment_posted_twice_reaches_the_erp_once(world, receiver):
    # given
    hook = webhook(world, receiver.url, ["PaymentReceived"])
    accounting = api_key(world, ["payments:write"])
    opened = deal(world)
    # when
    for _ in range(2):
        external(world, accounting["key"], "/payments", method="POST", json=payment(opened["id"]))
    world.router.deliver_all()
    sweep()
    # then
    ((headers, body),) = receiver.requests
    sent = json.loads(body)["data"]
    assert (sent["deal_id"], sent["amount"], sent["reference"]) == (opened["id"], 1_500_000, "PP-2025-0001")
    assert signed(headers, body, hook["secret"])
