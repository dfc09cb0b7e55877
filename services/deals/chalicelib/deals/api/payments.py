"""Routes of payments: by hand on a deal, the signed generic webhook, LiqPay's callback, the
payment settings, and a deal's payments with what is paid and what is left.

The two public routes are rate limited per caller, refuse a body over 16 KB, and check the
signature before they read anything else: an unsigned, badly signed, stale or replayed call
is a 4xx problem and writes nothing.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from chalicelib.deals.cashier import pay
from chalicelib.deals.domain import deals as dealing
from chalicelib.deals.domain import payments as paying
from chalicelib.deals.domain.documents import Document
from chalicelib.deals.domain.payments import (
    DealPayments,
    LiqPayKeys,
    ManualPayment,
    Payment,
    PaymentSecret,
    PaymentSettings,
    WebhookPayment,
)
from chalicelib.deals.service import service
from chalicelib.deals.store import DealStore
from chalicelib.deals.store.documents import DocumentStore
from chalicelib.deals.store.payments import LedgerStore
from pydantic import ValidationError

from lanka_platform import observability, throttle
from lanka_platform.api import Call
from lanka_platform.auth import OFFICE
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema
from lanka_platform.storage import Store

WEBHOOK_PER_MINUTE = 120
PUBLIC_PROBLEMS = (400, 401, 404, 409, 413, 422, 429)


class Ignored(Schema):
    status: str = "ignored"
    reason: str


@service.route(
    "/deals/{deal_id}/payments",
    "POST",
    body=ManualPayment,
    response=Payment,
    status=201,
    roles=OFFICE,
    problems=[409],
)
def record_payment(call: Call, deal_id: str, body: ManualPayment) -> Payment:
    """Record a payment by hand (the deal's manager, the head, an admin): it adds to the
    invoice named (or the deal's newest unpaid one) and to the deal. A `reference` (the
    bank transaction) makes it safe to retry: the same reference again is a 409."""
    deal = dealing.visible(DealStore(call.store), deal_id, call.user)
    return pay(
        paying.Received(
            deal_id=deal.id,
            document_id=body.document_id,
            amount=body.amount,
            currency=body.currency,
            source="manual",
            reference=body.reference,
            paid_at=body.paid_at,
            by=call.user.user_id,
        ),
    )


@service.route("/deals/{deal_id}/payments", response=DealPayments, roles=OFFICE)
def list_payments(call: Call, deal_id: str) -> DealPayments:
    """The deal's payments, oldest first, with the sum paid and the balance."""
    deal = dealing.visible(DealStore(call.store), deal_id, call.user)
    ledger = LedgerStore(call.store)
    paid = ledger.deal_paid(deal.id)
    return DealPayments(
        items=ledger.of_deal(deal.id),
        amount=deal.amount,
        paid=paid,
        balance=max(deal.amount - paid, 0),
        currency=deal.currency,
    )


# ------------------------------------------------------------------------------ settings


@service.route("/settings/payments", response=PaymentSettings, roles=("admin",))
def payment_settings(call: Call) -> PaymentSettings:
    """Whether the payment webhook and LiqPay are set up (never their secrets)."""
    ledger = LedgerStore(call.store)
    liqpay = ledger.liqpay()
    return PaymentSettings(
        webhook_secret_set=ledger.webhook_secret() is not None,
        liqpay_public_key=liqpay.public_key if liqpay else None,
    )


@service.route(
    "/settings/payments/webhook-secret", "POST", response=PaymentSecret, status=201, roles=("admin",)
)
def new_payment_secret(call: Call) -> PaymentSecret:
    """A new signing secret for the payment webhook (shown once; the old one stops working)."""
    secret = paying.new_secret()
    LedgerStore(call.store).set_webhook_secret(call.unit, secret)
    return PaymentSecret(secret=secret)


@service.route(
    "/settings/payments/liqpay", "PUT", body=LiqPayKeys, response=PaymentSettings, roles=("admin",)
)
def set_liqpay(call: Call, body: LiqPayKeys) -> PaymentSettings:
    """LiqPay's public and private keys (the private one is never shown again)."""
    ledger = LedgerStore(call.store)
    ledger.set_liqpay(call.unit, body)
    return PaymentSettings(
        webhook_secret_set=ledger.webhook_secret() is not None, liqpay_public_key=body.public_key
    )


# ------------------------------------------------------------------------------ webhooks


def _raw(call: Call, scope: str) -> bytes:
    throttle.limit(call.store, call.request, scope, WEBHOOK_PER_MINUTE)
    raw = call.request.raw_body or b""
    body = raw.encode() if isinstance(raw, str) else raw
    if len(body) > paying.MAX_WEBHOOK_BYTES:
        raise Problem.too_large(paying.MAX_WEBHOOK_BYTES)
    return body


def _invoice_named(store: Store, name: str) -> Document:
    documents = DocumentStore(store)
    found = documents.by_number(name) or documents.get(name)
    if found is None or found.kind != "invoice":
        raise Problem.invalid([{"field": "invoice", "message": "There is no such invoice.", "in": "body"}])
    return found


@service.route(
    "/payments/webhook",
    "POST",
    response=Payment,
    status=201,
    public=True,
    tags=["payments"],
    problems=PUBLIC_PROBLEMS,
)
def payment_webhook(call: Call) -> Payment:
    """A payment from the bank or accounting, signed: `X-Lanka-Timestamp` (unix time, within
    5 minutes) and `X-Lanka-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` with
    the company's payment secret. Body: reference (unique), invoice (number or id), amount
    (minor units), currency, paid_at. A reference already recorded is a 409."""
    body = _raw(call, "payments-webhook")
    headers = call.request.headers
    paying.verify_webhook(
        LedgerStore(call.store).webhook_secret(),
        headers.get("x-lanka-timestamp") or "",
        headers.get("x-lanka-signature") or "",
        body,
        call.store.clock(),
    )
    observability.set_actor("payments-webhook")
    try:
        posted = WebhookPayment.model_validate_json(body)
    except ValidationError as error:
        raise Problem.from_validation_error(error) from error
    invoice = _invoice_named(call.store, posted.invoice)
    return pay(
        paying.Received(
            deal_id=invoice.deal_id,
            document_id=invoice.id,
            amount=posted.amount,
            currency=posted.currency,
            source="webhook",
            reference=posted.reference,
            paid_at=posted.paid_at,
            by=None,
        ),
    )


@service.route(
    "/payments/liqpay",
    "POST",
    response=Payment,
    status=201,
    public=True,
    tags=["payments"],
    problems=PUBLIC_PROBLEMS,
)
def liqpay_callback(call: Call) -> Payment | Ignored:
    """LiqPay's server callback (form fields `data` and `signature`): a payment of status
    success or sandbox is recorded against the invoice whose number or id is its `order_id`;
    any other status is acknowledged and changes nothing."""
    body = _raw(call, "payments-liqpay")
    form = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
    data = (form.get("data") or [""])[0]
    signature = (form.get("signature") or [""])[0]
    callback = paying.verify_liqpay(LedgerStore(call.store).liqpay(), data, signature)
    observability.set_actor("liqpay")
    if callback.status not in paying.LIQPAY_PAID:
        return Ignored(reason=f"status {callback.status}")
    invoice = _invoice_named(call.store, callback.order_id)
    return pay(
        paying.Received(
            deal_id=invoice.deal_id,
            document_id=invoice.id,
            amount=callback.minor,
            currency=callback.currency,
            source="liqpay",
            reference=str(callback.payment_id),
            paid_at=None,
            by=None,
        ),
    )
