"""Payments through the API: by hand, by the signed generic webhook and by LiqPay's
callback; partial payments add up on the invoice and the deal, and the one that completes
the invoice sends the furniture deal to production. Forged, stale, replayed and oversized
webhooks change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

from deal_world import T0, Tap, on_clock, queue
from document_world import ADMIN, api, ok, priced_deal


def agreed_deal(world, amount):
    """A furniture deal whose price is agreed: automation makes its invoice and moves it on."""
    deal = priced_deal(world, amount)
    ok(
        api(
            world,
            "POST",
            f"/deals/{deal['id']}/move",
            json={"to_stage": "price_agreed", "version": deal["version"]},
        )
    )
    world.router.deliver_all()
    (invoice,) = ok(api(world, "GET", f"/deals/{deal['id']}/documents"))["items"]
    return deal, invoice


def stage(world, deal_id):
    return ok(api(world, "GET", f"/deals/{deal_id}"))["stage"]


def pay(world, deal_id, amount, **fields):
    return api(world, "POST", f"/deals/{deal_id}/payments", json={"amount": amount, **fields})


def payment_secret(world):
    return ok(api(world, "POST", "/settings/payments/webhook-secret", *ADMIN), 201)["secret"]


def signed_post(world, secret, body, *, timestamp, path="/payments/webhook"):
    raw = json.dumps(body).encode()
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    headers = {"X-Lanka-Timestamp": str(timestamp), "X-Lanka-Signature": f"v1={signature}"}
    return world.http.post(
        f"/api/deals{path}", data=raw, headers={**headers, "Content-Type": "application/json"}
    )


def ledger_items(world):
    return [item for item in world.items("deals") if item["pk"].startswith(("INVOICEPAY#", "DEALPAID#"))]


def test_partial_payments_add_up_and_the_last_one_starts_production(world):
    # given
    deal, invoice = agreed_deal(world, 4_500_000)
    assert stage(world, deal["id"]) == "invoiced"
    # when: the first part arrives
    first = ok(pay(world, deal["id"], 2_000_000), 201)
    world.router.deliver_all()
    # then: it counts, the deal waits for the rest
    assert (first["document_id"], first["invoice_paid_in_full"]) == (invoice["id"], False)
    assert stage(world, deal["id"]) == "invoiced"
    assert queue(world, "production", "vasyl") == []
    # when: the rest arrives
    second = ok(pay(world, deal["id"], 2_500_000), 201)
    world.router.deliver_all()
    # then
    assert second["invoice_paid_in_full"] is True
    assert stage(world, deal["id"]) == "in_production"
    assert [task["kind"] for task in queue(world, "production", "vasyl")] == ["produce"]
    summary = ok(api(world, "GET", f"/deals/{deal['id']}/payments"))
    assert (summary["paid"], summary["balance"], len(summary["items"])) == (4_500_000, 0, 2)
    (paid_invoice,) = ok(api(world, "GET", f"/deals/{deal['id']}/documents"))["items"]
    assert (paid_invoice["paid"], paid_invoice["balance"]) == (4_500_000, 0)


def test_every_payment_is_announced_with_whether_it_completes_the_invoice(world):
    # given
    tap = Tap()
    deal, invoice = agreed_deal(world, 100_000)
    # when
    ok(pay(world, deal["id"], 40_000, reference="bank-1"), 201)
    ok(pay(world, deal["id"], 60_000, reference="bank-2"), 201)
    world.router.deliver_all()
    # then
    assert [
        (p["amount"], p["invoice_paid_in_full"], p["document_id"]) for p in tap.events("PaymentReceived")
    ] == [
        (40_000, False, invoice["id"]),
        (60_000, True, invoice["id"]),
    ]


def test_a_field_worker_cannot_record_a_payment(world):
    deal, _ = agreed_deal(world, 100_000)
    assert (
        api(
            world, "POST", f"/deals/{deal['id']}/payments", "petro", "measurer", json={"amount": 1}
        ).status_code
        == 403
    )


def test_a_payment_in_another_currency_is_refused_and_nothing_is_written(world):
    deal, _ = agreed_deal(world, 100_000)
    refused = pay(world, deal["id"], 100, currency="EUR")
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert ledger_items(world) == []


def test_a_signed_webhook_pays_the_invoice_it_names(world):
    # given
    clock = on_clock(world, T0)
    deal, invoice = agreed_deal(world, 100_000)
    secret = payment_secret(world)
    body = {"reference": "bank-77", "invoice": invoice["number"], "amount": 100_000, "currency": "UAH"}
    # when
    answer = signed_post(world, secret, body, timestamp=int(clock.now.timestamp()))
    world.router.deliver_all()
    # then
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["invoice_paid_in_full"] is True
    assert stage(world, deal["id"]) == "in_production"


def test_forged_stale_replayed_unsigned_or_oversized_webhooks_change_nothing(world):
    # given
    clock = on_clock(world, T0)
    deal, invoice = agreed_deal(world, 100_000)
    secret = payment_secret(world)
    body = {"reference": "bank-1", "invoice": invoice["number"], "amount": 10_000}
    now = int(clock.now.timestamp())
    # when
    forged = signed_post(world, "paysec_not-the-secret", body, timestamp=now)
    stale = signed_post(world, secret, body, timestamp=now - 301)
    unsigned = world.http.post("/api/deals/payments/webhook", json=body)
    oversized = signed_post(world, secret, {**body, "pad": "x" * 20_000}, timestamp=now)
    # then
    for refused, status in ((forged, 401), (stale, 401), (unsigned, 401), (oversized, 413)):
        assert refused.status_code == status and refused.content_type == "application/problem+json"
    assert ledger_items(world) == []
    # when: the genuine one, then the same one again a minute later
    assert signed_post(world, secret, body, timestamp=now).status_code == 201
    clock.advance(minutes=1)
    replayed = signed_post(world, secret, body, timestamp=now)
    # then
    assert replayed.status_code == 409
    assert ok(api(world, "GET", f"/deals/{deal['id']}/payments"))["paid"] == 10_000


def liqpay_form(private_key, fields):
    data = base64.b64encode(json.dumps(fields).encode()).decode()
    digest = hashlib.sha1((private_key + data + private_key).encode()).digest()  # noqa: S324 - LiqPay's scheme
    signature = base64.b64encode(digest).decode()
    return {"data": data, "signature": signature}


def test_liqpay_callbacks_are_checked_and_paid_ones_recorded(world):
    # given
    deal, invoice = agreed_deal(world, 150_050)
    ok(
        api(
            world,
            "PUT",
            "/settings/payments/liqpay",
            *ADMIN,
            json={"public_key": "i000pub", "private_key": "sandbox_priv"},
        )
    )
    fields = {
        "status": "success",
        "order_id": invoice["number"],
        "amount": 1500.5,
        "currency": "UAH",
        "payment_id": 987654,
        "public_key": "i000pub",
        "action": "pay",
    }
    url = "/api/deals/payments/liqpay"
    # when
    forged = world.http.post(url, data=liqpay_form("someone-else", fields))
    failed = world.http.post(url, data=liqpay_form("sandbox_priv", {**fields, "status": "failure"}))
    paid = world.http.post(url, data=liqpay_form("sandbox_priv", fields))
    again = world.http.post(url, data=liqpay_form("sandbox_priv", fields))
    world.router.deliver_all()
    # then
    assert forged.status_code == 401
    assert failed.get_json()["status"] == "ignored"
    assert paid.status_code == 201 and paid.get_json()["amount"] == 150_050
    assert again.status_code == 409
    assert ok(api(world, "GET", f"/deals/{deal['id']}/payments"))["paid"] == 150_050
    assert stage(world, deal["id"]) == "in_production"


def test_a_webhook_naming_no_invoice_of_ours_is_refused(world):
    clock = on_clock(world, T0 + timedelta(days=1))
    secret = payment_secret(world)
    body = {"reference": "bank-9", "invoice": "РФ-1999-0001", "amount": 10}
    answer = signed_post(world, secret, body, timestamp=int(clock.now.timestamp()))
    assert answer.status_code == 422
    assert ledger_items(world) == []


def test_a_payment_posted_by_the_accounting_system_pays_the_invoice_and_starts_production(world):
    # given
    tap = Tap()
    deal, invoice = agreed_deal(world, 300_000)
    key = ok(
        api(world, "POST", "/integrations/keys", *ADMIN, json={"name": "1С", "scopes": ["payments:write"]}),
        201,
    )["key"]
    posted = {
        "deal_id": deal["id"],
        "amount": 300_000,
        "reference": "1C-77",
        "paid_at": "2026-11-27T10:00:00Z",
    }
    # when: it posts the payment, and posts it again (a retry)
    answers = [
        world.http.post("/api/deals/external/payments", json=posted, headers={"X-Api-Key": key})
        for _ in range(2)
    ]
    world.router.deliver_all()
    # then: one payment, on the invoice, which it completes
    assert [answer.status_code for answer in answers] == [201, 201]
    first = answers[0].get_json()
    assert answers[1].get_json() == first
    assert (first["source"], first["document_id"], first["invoice_paid_in_full"]) == (
        "api",
        invoice["id"],
        True,
    )
    assert [p["invoice_paid_in_full"] for p in tap.events("PaymentReceived")] == [True]
    assert stage(world, deal["id"]) == "in_production"
    summary = ok(api(world, "GET", f"/deals/{deal['id']}/payments"))
    assert (summary["paid"], summary["balance"], len(summary["items"])) == (300_000, 0, 1)
