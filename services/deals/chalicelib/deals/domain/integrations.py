"""Integrations: scoped API keys for external systems, their payments, and outgoing webhooks.

An API key is `lk_<key id>_<secret>`: the key id finds the key with one read, the secret
(32 random bytes) is checked against its SHA-256 hash. The secret has 256 bits of entropy,
so a fast hash is enough (a slow password hash protects guessable secrets, not random ones),
and only the hash is stored: a leaked table leaks no usable key.

A webhook delivery is signed as Stripe signs its own: `X-Lanka-Signature: t=<unix time>,
v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the webhook's secret>`. The timestamp in the
signed text lets a receiver refuse a replayed old delivery; several `v1` values may be sent
while a secret is being rotated. A delivery that fails is tried again after 1 minute,
5 minutes, 30 minutes, 2 hours and 6 hours, then given up.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from chalicelib.deals.domain import deals as dealing
from chalicelib.deals.domain.deals import Deal, DealCard, Deals
from chalicelib.deals.domain.pipelines import Pipeline
from pydantic import ConfigDict, Field, field_validator

from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

Scope = Literal["deals:read", "deals:ready", "payments:write"]
KEY_PREFIX = "lk_"
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32
_KEY = re.compile(r"^lk_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_\-]{43,128})$")

# The stage an external system marks an order ready in (the furniture pipeline's `ready`).
READY_STAGE = "ready"

# The events an admin may subscribe a webhook to: what happens to deals, tasks and money.
# Messages and staff notifications are deliberately not offered (they carry what is said to
# people, and notifications owns that).
WEBHOOK_EVENTS: tuple[str, ...] = (
    "DealCreated",
    "DealStageChanged",
    "DealUpdated",
    "TaskCreated",
    "TaskCompleted",
    "TaskOverdue",
    "PaymentReceived",
    "DocumentSent",
)
WebhookEvent = Literal[
    "DealCreated",
    "DealStageChanged",
    "DealUpdated",
    "TaskCreated",
    "TaskCompleted",
    "TaskOverdue",
    "PaymentReceived",
    "DocumentSent",
]
# An event makes one delivery per subscribed webhook in the transaction that consumes it.
MAX_WEBHOOKS = 20
# The waits after the 1st, 2nd ... failed attempt; after the last one the delivery is failed.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How old a signature a receiver should accept (our own verifier's default).
SIGNATURE_TOLERANCE_SECONDS = 300
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})


# ------------------------------------------------------------------------------ API keys


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def format_key(key_id: str, secret: str) -> str:
    return f"{KEY_PREFIX}{key_id}_{secret}"


def parse_key(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a presented key, or None when it is not one of ours at all."""
    match = _KEY.match(token.strip())
    return (match.group(1), match.group(2)) if match else None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant time: how much of a guess is right cannot be timed."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)


class _Input(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class NewApiKey(_Input):
    name: str = Field(min_length=1, max_length=80, examples=["Склад", "1C Бухгалтерія"])
    scopes: list[Scope] = Field(min_length=1, max_length=3, examples=[["deals:read", "deals:ready"]])
    rate_limit_per_minute: int = Field(default=120, ge=1, le=6000, description="Requests a minute")

    @field_validator("scopes")
    @classmethod
    def _distinct(cls, value: list[Scope]) -> list[Scope]:
        return sorted(set(value))


class ApiKey(Schema):
    id: str
    name: str
    scopes: list[Scope]
    rate_limit_per_minute: int
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes


class IssuedApiKey(ApiKey):
    key: str = Field(description="The key itself: shown in this answer only, store it now")


class ApiKeyList(Schema):
    items: list[ApiKey]


class KeyUse(Schema):
    """One thing an external system did with its key (the audit trail of the key)."""

    key_id: str
    at: datetime
    action: str = Field(examples=["deals:ready"])
    method: str
    path: str
    subject: str | None = Field(default=None, description="The deal or payment it was about")


class KeyUsePage(Schema):
    items: list[KeyUse]
    next_cursor: str | None = None


def retry_after_seconds(now: datetime) -> int:
    """Seconds until the next minute, when a key's per-minute count starts again."""
    return 60 - now.astimezone(UTC).second


# ------------------------------------------------------------------------------ external views


class ExternalDeal(Schema):
    """A deal as an external system sees it: no client name or contact, only the client's id."""

    id: str
    pipeline_id: str
    stage: str
    client_id: str
    title: str
    amount: int = Field(description="Minor units")
    currency: str
    owner_id: str | None
    expected_date: date | None
    custom: dict[str, Any]
    outcome: Literal["won", "lost"] | None
    created_at: datetime
    updated_at: datetime
    version: int


class ExternalCard(Schema):
    id: str
    title: str
    client_id: str
    amount: int
    currency: str
    owner_id: str | None
    updated_at: datetime


class ExternalDealPage(Schema):
    items: list[ExternalCard]
    next_cursor: str | None = None


def external_deal(deal: Deal) -> ExternalDeal:
    return ExternalDeal(
        **deal.model_dump(
            include={
                "id",
                "pipeline_id",
                "stage",
                "client_id",
                "title",
                "amount",
                "currency",
                "owner_id",
                "expected_date",
                "custom",
                "outcome",
                "created_at",
                "updated_at",
                "version",
            }
        )
    )


def external_card(card: DealCard) -> ExternalCard:
    return ExternalCard(**card.model_dump(exclude={"client_name"}))


def mark_ready(unit: UnitOfWork, deals: Deals, pipeline: Pipeline | None, deal: Deal, now: datetime) -> Deal:
    """The order is ready (the warehouse says so): the deal moves to the `ready` stage.

    Already there or past it, nothing changes (a warehouse repeating itself is harmless);
    a pipeline without that stage, or a lost deal, is a 409."""
    stages = pipeline.stage_keys if pipeline is not None else []
    if pipeline is None or READY_STAGE not in stages:
        raise Problem.conflict(f"The deal's pipeline has no stage {READY_STAGE!r}.")
    if deal.outcome == "lost":
        raise Problem.conflict("The deal is lost; it cannot be made ready.")
    if deal.stage in stages and stages.index(deal.stage) >= stages.index(READY_STAGE):
        return deal
    return dealing.move(unit, deals, pipeline, deal, READY_STAGE, deal.version, now)


# ------------------------------------------------------------------------------ payments


class NewPayment(_Input):
    deal_id: str = Field(min_length=1, max_length=64)
    amount: int = Field(gt=0, le=10**12, description="Minor units (kopiyky)")
    currency: str = Field(default="UAH", pattern=r"^[A-Z]{3}$")
    reference: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[\w\-./#: ]+$",
        description="The payer's reference (bank transaction, accounting document); one "
        "reference is one payment: posting it again returns the first answer",
    )
    paid_at: datetime = Field(description="With a time zone")

    @field_validator("paid_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("Give the time with its zone (…Z or +03:00).")
        return value.astimezone(UTC)


def repeats(first: Any, posted: NewPayment) -> bool:
    """Whether `posted` repeats the payment recorded with its reference (rather than
    reusing the reference for another payment)."""
    return (first.deal_id, first.amount, first.currency, first.paid_at) == (
        posted.deal_id,
        posted.amount,
        posted.currency,
        posted.paid_at,
    )


def check_payment(deal: Deal | None, posted: NewPayment, now: datetime) -> Deal:
    """The deal a posted payment is for, or a 422 naming what is wrong with it."""
    if deal is None:
        raise Problem.invalid([{"field": "deal_id", "message": "There is no such deal.", "in": "body"}])
    if posted.currency != deal.currency:
        raise Problem.invalid(
            [{"field": "currency", "message": f"The deal is in {deal.currency}.", "in": "body"}]
        )
    if posted.paid_at > now + timedelta(days=1):
        raise Problem.invalid([{"field": "paid_at", "message": "This is in the future.", "in": "body"}])
    return deal


# ------------------------------------------------------------------------------ webhooks


def is_allowed_url(url: str) -> bool:
    """https anywhere; plain http only to this machine (local testing)."""
    parts = urlsplit(url)
    if not parts.hostname or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS


def is_local_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS


def is_public_address(address: str) -> bool:
    """Whether a resolved address is on the internet (not the cloud's metadata service, a
    private network or this machine): an https webhook may only reach such addresses."""
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


class NewWebhook(_Input):
    url: str = Field(max_length=2000, examples=["https://erp.example.com/lanka/events"])
    events: list[WebhookEvent] = Field(
        default_factory=list,
        max_length=len(WEBHOOK_EVENTS),
        description="Events to deliver; none for an endpoint only automation rules call "
        "(their `secret_ref` is this webhook's id)",
    )
    description: str = Field(default="", max_length=200)

    @field_validator("url")
    @classmethod
    def _safe_url(cls, value: str) -> str:
        if not is_allowed_url(value):
            raise ValueError("The URL must be https:// (http:// only to localhost or 127.0.0.1).")
        return value

    @field_validator("events")
    @classmethod
    def _distinct(cls, value: list[WebhookEvent]) -> list[WebhookEvent]:
        return sorted(set(value))


class Webhook(Schema):
    id: str
    url: str
    events: list[WebhookEvent]
    description: str
    created_at: datetime
    created_by: str


class IssuedWebhook(Webhook):
    secret: str = Field(description="Signing secret: shown in this answer only, store it now")


class WebhookList(Schema):
    items: list[Webhook]


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


DeliveryStatus = Literal["pending", "delivered", "failed"]


class Delivery(Schema):
    """An attempt record: what was sent is not shown (only ids and outcomes)."""

    id: str = Field(description="Sent as X-Lanka-Delivery: the same on every retry")
    webhook_id: str
    event: str
    status: DeliveryStatus
    attempts: int
    last_status: int | None = Field(default=None, description="HTTP status of the last attempt")
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime


class DeliveryPage(Schema):
    items: list[Delivery]
    next_cursor: str | None = None


def next_attempt(attempts: int, failed_at: datetime) -> datetime | None:
    """When to try again after `attempts` attempts have failed (None: give up)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return failed_at + RETRY_DELAYS[attempts - 1]


def signed_text(timestamp: int, body: bytes) -> bytes:
    return str(timestamp).encode() + b"." + body


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), signed_text(timestamp, body), hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Lanka-Signature` value of `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify_signature(
    secret: str, header: str, body: bytes, now: int, tolerance: int = SIGNATURE_TOLERANCE_SECONDS
) -> bool:
    """What a receiver checks: a `v1` signature of this body made with `secret`, at a time
    no further than `tolerance` seconds from `now` (an old delivery replayed is refused)."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates or abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    # Every candidate is compared, so the time taken does not say which one matched.
    results = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(results)
