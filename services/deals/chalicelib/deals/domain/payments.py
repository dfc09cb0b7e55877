"""Payments for a deal's invoices: recorded by hand, by a signed webhook, or by LiqPay's
callback; partial payments add up on the invoice and on the deal.

`PaymentReceived` goes out for every payment, with `invoice_paid_in_full` true on the one
that completes its invoice (or, for a payment that names no invoice, the deal's amount):
the furniture template moves the deal to «Оплачено» (and so to production) on that one only.

Signatures. The generic webhook is signed as our own outgoing webhooks are:
`X-Lanka-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` with
`X-Lanka-Timestamp: <unix time>`, keyed with the company's payment secret; older than
5 minutes (or as far ahead) is refused, so a captured request cannot be replayed later, and
one reference is one payment, so it cannot be replayed sooner either. LiqPay signs its
callback as `signature = base64(sha1(private_key + data + private_key))` over `data`, the
base64 of its JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol

from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.documents import Document
from pydantic import ConfigDict, Field, field_validator

from lanka_platform.contracts import deals as events
from lanka_platform.events import envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

Source = Literal["manual", "webhook", "liqpay", "api"]
SIGNATURE_TOLERANCE = timedelta(minutes=5)
MAX_WEBHOOK_BYTES = 16 * 1024
SECRET_PREFIX = "paysec_"  # noqa: S105 - a prefix, not a secret
LIQPAY_PAID = frozenset({"success", "sandbox"})
REFERENCE = r"^[\w\-./#: ]+$"


class _Input(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("Give the time with its zone (…Z or +03:00).")
    return value.astimezone(UTC) if value is not None else None


class ManualPayment(_Input):
    amount: int = Field(gt=0, le=10**12, description="Minor units (kopiyky)")
    currency: str = Field(default="UAH", pattern=r"^[A-Z]{3}$")
    document_id: str | None = Field(
        default=None, max_length=64, description="The invoice it pays (default: the deal's newest unpaid one)"
    )
    reference: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=REFERENCE, description="Bank transaction; unique"
    )
    paid_at: datetime | None = Field(default=None, description="Default: now")

    _zone = field_validator("paid_at")(_aware)


class WebhookPayment(_Input):
    """The generic signed webhook's body."""

    reference: str = Field(min_length=1, max_length=100, pattern=REFERENCE, description="Unique per payment")
    invoice: str = Field(min_length=1, max_length=64, description="The invoice's number or document id")
    amount: int = Field(gt=0, le=10**12, description="Minor units")
    currency: str = Field(default="UAH", pattern=r"^[A-Z]{3}$")
    paid_at: datetime | None = None

    _zone = field_validator("paid_at")(_aware)


class Payment(Schema):
    id: str
    deal_id: str
    client_id: str
    document_id: str | None
    amount: int = Field(description="Minor units")
    currency: str
    source: Source
    reference: str | None
    paid_at: datetime
    received_at: datetime
    recorded_by: str | None = None
    key_id: str | None = Field(default=None, description="The API key it was posted with (source `api`)")
    invoice_paid_in_full: bool


class DealPayments(Schema):
    items: list[Payment]
    amount: int = Field(description="The deal's amount, minor units")
    paid: int = Field(description="Paid so far, minor units")
    balance: int = Field(description="Still to pay, minor units (0 when paid or overpaid)")
    currency: str


class PaymentSecret(Schema):
    secret: str = Field(description="Signing secret of the payment webhook: shown in this answer only")


class LiqPayKeys(_Input):
    public_key: str = Field(min_length=4, max_length=100)
    private_key: str = Field(min_length=4, max_length=200)


class PaymentSettings(Schema):
    """What is configured (never the secrets themselves)."""

    webhook_secret_set: bool
    liqpay_public_key: str | None


class Ledger(Protocol):
    def deal_paid(self, deal_id: str) -> int: ...
    def add(self, unit: UnitOfWork, payment: Payment, deal_paid_before: int) -> None: ...


class Invoices(Protocol):
    def add_paid(self, unit: UnitOfWork, document: Document, amount: int) -> None: ...
    def get(self, document_id: str) -> Document | None: ...
    def of_deal(self, deal_id: str) -> list[Document]: ...


class DealBook(Protocol):
    def get(self, deal_id: str) -> Deal | None: ...


@dataclass(frozen=True)
class Received:
    """A payment as it arrives, before it is recorded against a deal and an invoice."""

    deal_id: str
    document_id: str | None
    amount: int
    currency: str
    source: Source
    reference: str | None
    paid_at: datetime | None
    by: str | None
    key_id: str | None = None


def receive(
    unit: UnitOfWork,
    deals: DealBook,
    ledger: Ledger,
    invoices: Invoices,
    received: Received,
    payment_id: str,
    now: datetime,
) -> Payment:
    """Record a payment however it came (by hand, a webhook, LiqPay, the external API): on
    the invoice it names, or the deal's newest unpaid one. Its sums are written on the
    condition of what was read: the caller commits it again from fresh reads while another
    payment of the same invoice or deal commits first (`WRITES_THAT_RACE`)."""
    deal = deals.get(received.deal_id)
    if deal is None:
        raise Problem.not_found("The deal")
    invoice = invoice_paid(invoices, deal, received.document_id)
    payment = Payment(
        id=payment_id,
        deal_id=deal.id,
        client_id=deal.client_id,
        document_id=invoice.id if invoice else None,
        amount=received.amount,
        currency=received.currency,
        source=received.source,
        reference=received.reference,
        paid_at=received.paid_at or now,
        received_at=now,
        recorded_by=received.by,
        key_id=received.key_id,
        invoice_paid_in_full=False,
    )
    return record(unit, ledger, invoices, deal, invoice, payment)


def invoice_paid(invoices: Invoices, deal: Deal, document_id: str | None) -> Document | None:
    """The invoice a payment pays: the one named (of this deal), else the newest unpaid."""
    if document_id is None:
        return unpaid_invoice(invoices.of_deal(deal.id))
    found = invoices.get(document_id)
    if found is None or found.deal_id != deal.id or found.kind != "invoice":
        raise Problem.invalid(
            [{"field": "document_id", "message": "No such invoice of this deal.", "in": "body"}]
        )
    return found


def record(
    unit: UnitOfWork,
    ledger: Ledger,
    invoices: Invoices,
    deal: Deal,
    invoice: Document | None,
    payment: Payment,
) -> Payment:
    """Queue the payment, what it adds to the invoice and the deal, and `PaymentReceived`.

    The sums are written conditioned on the values read, so concurrent payments of one
    invoice are applied one after another (the caller retries) and exactly one of them is
    the one that completes it."""
    if payment.currency != deal.currency:
        raise Problem.invalid(
            [{"field": "currency", "message": f"The deal is in {deal.currency}.", "in": "body"}]
        )
    before = ledger.deal_paid(deal.id)
    if invoice is not None:
        full = invoice.paid < invoice.amount <= invoice.paid + payment.amount
        invoices.add_paid(unit, invoice, payment.amount)
    else:
        full = 0 < deal.amount and before < deal.amount <= before + payment.amount
    recorded = payment.model_copy(update={"invoice_paid_in_full": full})
    ledger.add(unit, recorded, before)
    unit.emit(
        envelope(
            events.PaymentReceived(
                payment_id=recorded.id,
                deal_id=deal.id,
                client_id=deal.client_id,
                amount=recorded.amount,
                currency=recorded.currency,
                reference=recorded.reference,
                paid_at=recorded.paid_at,
                document_id=recorded.document_id,
                invoice_paid_in_full=full,
            ),
            occurred_at=recorded.received_at,
        )
    )
    return recorded


def unpaid_invoice(documents: list[Document]) -> Document | None:
    """The newest invoice with something left to pay (documents come newest first)."""
    return next((d for d in documents if d.kind == "invoice" and d.outstanding > 0), None)


# ------------------------------------------------------------------------------ signatures


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _refused(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Signature realm="payments"'})


def verify_webhook(secret: str | None, timestamp: str, header: str, body: bytes, now: datetime) -> None:
    """401 unless `header` carries a v1 signature of `timestamp.body` made with `secret`, and
    the timestamp is within 5 minutes of `now`."""
    if secret is None:
        raise _refused("Payment webhooks are not set up.")
    try:
        sent_at = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise _refused("Send X-Lanka-Timestamp (unix time) and X-Lanka-Signature.") from None
    if abs(now - sent_at) > SIGNATURE_TOLERANCE:
        raise _refused("The timestamp is more than 5 minutes away: a replay, or a wrong clock.")
    expected = webhook_signature(secret, timestamp, body)
    offered = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise _refused("The signature does not match.")


def liqpay_signature(private_key: str, data: str) -> str:
    digest = hashlib.sha1((private_key + data + private_key).encode()).digest()  # noqa: S324 - LiqPay's scheme
    return base64.b64encode(digest).decode()


class LiqPayCallback(Schema):
    """The fields of LiqPay's `data` this service reads."""

    model_config = ConfigDict(extra="ignore")

    status: str = Field(max_length=40)
    order_id: str = Field(min_length=1, max_length=64)
    amount: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_id: int | str
    public_key: str | None = None
    end_date: int | None = Field(default=None, description="Milliseconds since 1970")

    @property
    def minor(self) -> int:
        return int((self.amount * 100).to_integral_value())


def verify_liqpay(keys: LiqPayKeys | None, data: str, signature: str) -> LiqPayCallback:
    """The callback's data when its signature is LiqPay's for our private key (401 if not)."""
    if keys is None:
        raise _refused("LiqPay is not set up.")
    if not data or not hmac.compare_digest(liqpay_signature(keys.private_key, data), signature):
        raise _refused("The LiqPay signature does not match.")
    try:
        fields: Any = json.loads(base64.b64decode(data, validate=True))
        callback = LiqPayCallback.model_validate(fields)
    except (binascii.Error, ValueError, InvalidOperation) as error:
        raise Problem.bad_request("LiqPay's data is not base64 JSON of a payment.", field="data") from error
    if callback.public_key is not None and callback.public_key != keys.public_key:
        raise _refused("The callback is for another LiqPay account.")
    if callback.amount <= 0:
        raise Problem.invalid([{"field": "data.amount", "message": "Must be more than 0.", "in": "body"}])
    return callback
