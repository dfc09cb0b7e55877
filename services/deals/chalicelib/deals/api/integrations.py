"""Integrations: API keys for external systems, the `/external` routes they call (read deals,
mark an order ready, post a payment), and outgoing webhooks with their delivery sweep.

`/external` routes are public to API Gateway (no staff token): each checks the
`X-Api-Key` header itself, with one GetItem by key id, then counts the request against the
key's per-minute limit, then checks the scope. Whatever a key does is kept in its audit
trail, written in the same transaction as the change it made.

Webhook deliveries never go out from an event handler: a subscribed event only writes a
pending delivery in the handler's own transaction (`deliver_webhooks`), and the `webhooks`
schedule sends what is due every minute, over HTTP, signed, and retries with backoff.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from chalicelib.deals.cashier import pay
from chalicelib.deals.domain import integrations as integrating
from chalicelib.deals.domain import payments as paying
from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.integrations import (
    MAX_WEBHOOKS,
    WEBHOOK_EVENTS,
    ApiKey,
    ApiKeyList,
    DeliveryPage,
    ExternalDeal,
    ExternalDealPage,
    IssuedApiKey,
    IssuedWebhook,
    KeyUse,
    KeyUsePage,
    NewApiKey,
    NewPayment,
    NewWebhook,
    Scope,
    Webhook,
    WebhookList,
)
from chalicelib.deals.domain.payments import Payment
from chalicelib.deals.service import service
from chalicelib.deals.store import DealStore, PipelineStore
from chalicelib.deals.store.integrations import KeyStore, Outgoing, WebhookStore
from chalicelib.deals.store.payments import LedgerStore
from pydantic import ConfigDict, Field

from lanka_platform import observability
from lanka_platform.api import Call
from lanka_platform.contracts import deals as events
from lanka_platform.events import Envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

ADMIN = ("admin",)
API_KEY_HEADER = "X-Api-Key"
EXTERNAL_PROBLEMS = (401, 403, 429)
# Automation calls without a `secret_ref` are listed under this name (they are unsigned).
RULE_CALLS = "rules"
# What one sweep sends at most, and how many at once: a slow receiver (5 s) holds one sender.
SWEEP_BATCH = 50
SENDERS = 8
TIMEOUT_SECONDS = 5
USER_AGENT = "Lanka-Webhooks/1"


class _Query(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class PageQuery(_Query):
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=50, ge=1, le=100)


class ExternalDealsQuery(PageQuery):
    stage: str = Field(min_length=1, max_length=40, examples=["ready"])
    pipeline: str | None = Field(default=None, max_length=64, description="Default: the default pipeline")


# ------------------------------------------------------------------------------ API keys (admin)


@service.route("/integrations/keys", "POST", body=NewApiKey, response=IssuedApiKey, status=201, roles=ADMIN)
def issue_api_key(call: Call, body: NewApiKey) -> IssuedApiKey:
    """A key for an external system (a warehouse, accounting). The key is in this answer
    only: Lanka keeps its hash. (No Idempotency-Key: a stored answer would keep the key.)"""
    secret = integrating.new_secret()
    key = ApiKey(
        id=new_id(),
        name=body.name,
        scopes=body.scopes,
        rate_limit_per_minute=body.rate_limit_per_minute,
        created_at=call.store.clock(),
        created_by=call.user.user_id,
    )
    KeyStore(call.store).add(call.unit, key, integrating.hash_secret(secret))
    return IssuedApiKey(**key.model_dump(), key=integrating.format_key(key.id, secret))


@service.route("/integrations/keys", response=ApiKeyList, roles=ADMIN)
def list_api_keys(call: Call) -> ApiKeyList:
    """Every API key, the revoked ones too (never their secrets)."""
    return ApiKeyList(items=KeyStore(call.store).all())


@service.route("/integrations/keys/{key_id}", "DELETE", roles=ADMIN)
def revoke_api_key(call: Call, key_id: str) -> None:
    """Revoke a key: it stops working at once; its audit trail stays."""
    keys = KeyStore(call.store)
    found = keys.get(key_id)
    if found is None:
        raise Problem.not_found("The API key")
    key, secret_hash = found
    if key.active:
        revoked = key.model_copy(update={"revoked_at": call.store.clock(), "revoked_by": call.user.user_id})
        keys.replace(call.unit, revoked, secret_hash)


@service.route("/integrations/keys/{key_id}/uses", query=PageQuery, response=KeyUsePage, roles=ADMIN)
def api_key_uses(call: Call, key_id: str, query: PageQuery) -> KeyUsePage:
    """What an external system did with this key, newest first."""
    keys = KeyStore(call.store)
    if keys.get(key_id) is None:
        raise Problem.not_found("The API key")
    items, cursor = keys.uses(key_id, query.cursor, query.limit)
    return KeyUsePage(items=items, next_cursor=cursor)


# ------------------------------------------------------------------------------ external routes


def _refused() -> Problem:
    return Problem(
        401,
        "Unauthorized",
        f"Send a valid, unrevoked API key in the {API_KEY_HEADER} header.",
        headers={"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'},
    )


def _authorize(call: Call, scope: Scope) -> ApiKey:
    """The caller's key: 401 unless it is a valid unrevoked key, 429 past its per-minute
    limit, 403 without `scope`."""
    presented = call.request.headers.get(API_KEY_HEADER.lower()) or ""
    parsed = integrating.parse_key(presented)
    if parsed is None:
        raise _refused()
    key_id, secret = parsed
    keys = KeyStore(call.store)
    found = keys.get(key_id)
    if found is None or not integrating.secret_matches(secret, found[1]) or not found[0].active:
        raise _refused()
    key = found[0]
    now = call.store.clock()
    if not keys.count_use(key.id, now, key.rate_limit_per_minute):
        wait = integrating.retry_after_seconds(now)
        raise Problem(
            429,
            "Too many requests",
            f"This key may make {key.rate_limit_per_minute} requests a minute; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    if not key.allows(scope):
        raise Problem.forbidden(f"This key does not have the scope {scope}.")
    observability.set_actor(f"apikey:{key.id}")
    return key


def _audit(call: Call, key: ApiKey, scope: Scope, subject: str | None) -> None:
    use = KeyUse(
        key_id=key.id,
        at=call.store.clock(),
        action=scope,
        method=call.request.method,
        path=call.request.path,
        subject=subject,
    )
    KeyStore(call.store).record_use(call.unit, use)


def _deal(call: Call, deal_id: str) -> Deal:
    deal = DealStore(call.store).get(deal_id)
    if deal is None:
        raise Problem.not_found("The deal")
    return deal


@service.route(
    "/external/deals/{deal_id}",
    response=ExternalDeal,
    public=True,
    tags=["external"],
    problems=EXTERNAL_PROBLEMS,
)
def external_deal(call: Call, deal_id: str) -> ExternalDeal:
    """A deal, for an external system (`X-Api-Key` with `deals:read`): no client contact."""
    key = _authorize(call, "deals:read")
    deal = _deal(call, deal_id)
    _audit(call, key, "deals:read", deal.id)
    return integrating.external_deal(deal)


@service.route(
    "/external/deals",
    query=ExternalDealsQuery,
    response=ExternalDealPage,
    public=True,
    tags=["external"],
    problems=(*EXTERNAL_PROBLEMS, 404),
)
def external_deals(call: Call, query: ExternalDealsQuery) -> ExternalDealPage:
    """A page of the deals in one stage (`X-Api-Key` with `deals:read`), newest first."""
    key = _authorize(call, "deals:read")
    pipelines = PipelineStore(call.store)
    pipeline = pipelines.get(query.pipeline) if query.pipeline else pipelines.default()
    if pipeline is None:
        raise Problem.not_found("The pipeline")
    if pipeline.stage(query.stage) is None:
        raise Problem.not_found("The stage")
    cards, cursor = DealStore(call.store).column(pipeline.id, query.stage, query.cursor, query.limit)
    _audit(call, key, "deals:read", None)
    return ExternalDealPage(items=[integrating.external_card(card) for card in cards], next_cursor=cursor)


@service.route(
    "/external/deals/{deal_id}/ready",
    "POST",
    response=ExternalDeal,
    public=True,
    tags=["external"],
    problems=(*EXTERNAL_PROBLEMS, 409),
)
def mark_deal_ready(call: Call, deal_id: str) -> ExternalDeal:
    """The order is ready (`X-Api-Key` with `deals:ready`): the deal moves to the stage
    `ready`; already there (or past it) nothing changes. 409 if its pipeline has no such
    stage or the deal is lost."""
    key = _authorize(call, "deals:ready")
    deal = _deal(call, deal_id)
    pipeline = PipelineStore(call.store).get(deal.pipeline_id)
    deals = DealStore(call.store)
    after = integrating.mark_ready(call.unit, deals, pipeline, deal, call.store.clock())
    _audit(call, key, "deals:ready", deal.id)
    return integrating.external_deal(after)


@service.route(
    "/external/payments",
    "POST",
    body=NewPayment,
    response=Payment,
    status=201,
    public=True,
    tags=["external"],
    problems=(*EXTERNAL_PROBLEMS, 409),
)
def post_payment(call: Call, body: NewPayment) -> Payment:
    """A payment for a deal (`X-Api-Key` with `payments:write`), recorded as every payment
    is: it adds to the deal's newest unpaid invoice (or to the deal) and says whether it
    completes it. One `reference` is one payment per key: posting it again returns the
    first answer; the same reference for another payment is a 409."""
    key = _authorize(call, "payments:write")
    first = LedgerStore(call.store).by_reference("api", body.reference, key.id)
    if first is not None:
        if not integrating.repeats(first, body):
            raise Problem.conflict(
                "This reference was already used for another payment.", payment_id=first.id
            )
        return first
    deal = integrating.check_payment(DealStore(call.store).get(body.deal_id), body, call.store.clock())
    payment = pay(
        paying.Received(
            deal_id=deal.id,
            document_id=None,
            amount=body.amount,
            currency=body.currency,
            source="api",
            reference=body.reference,
            paid_at=body.paid_at,
            by=None,
            key_id=key.id,
        )
    )
    _audit(call, key, "payments:write", payment.id)
    return payment


# ------------------------------------------------------------------------------ webhooks (admin)


@service.route(
    "/integrations/webhooks",
    "POST",
    body=NewWebhook,
    response=IssuedWebhook,
    status=201,
    roles=ADMIN,
    problems=[409],
)
def add_webhook(call: Call, body: NewWebhook) -> IssuedWebhook:
    """A URL Lanka POSTs the chosen events to, signed with the secret in this answer (shown
    once). Automation rules that call it use its id as `secret_ref`."""
    hooks = WebhookStore(call.store)
    if len(hooks.all()) >= MAX_WEBHOOKS:
        raise Problem.conflict(f"A company may have at most {MAX_WEBHOOKS} webhooks; remove one first.")
    secret = integrating.new_webhook_secret()
    webhook = Webhook(
        id=new_id(),
        url=body.url,
        events=body.events,
        description=body.description,
        created_at=call.store.clock(),
        created_by=call.user.user_id,
    )
    hooks.add(call.unit, webhook, secret)
    return IssuedWebhook(**webhook.model_dump(), secret=secret)


@service.route("/integrations/webhooks", response=WebhookList, roles=ADMIN)
def list_webhooks(call: Call) -> WebhookList:
    """Every webhook (never its secret)."""
    return WebhookList(items=WebhookStore(call.store).all())


@service.route("/integrations/webhooks/{webhook_id}", "DELETE", roles=ADMIN)
def remove_webhook(call: Call, webhook_id: str) -> None:
    """Remove a webhook: nothing more is sent to it (what is pending fails)."""
    hooks = WebhookStore(call.store)
    if hooks.get(webhook_id) is None:
        raise Problem.not_found("The webhook")
    hooks.remove(call.unit, webhook_id)


@service.route(
    "/integrations/webhooks/{webhook_id}/deliveries", query=PageQuery, response=DeliveryPage, roles=ADMIN
)
def webhook_deliveries(call: Call, webhook_id: str, query: PageQuery) -> DeliveryPage:
    """Recent deliveries to a webhook, newest first, with their attempts and last answer
    (kept 30 days, also after the webhook is removed; `rules`: unsigned automation calls)."""
    items, cursor = WebhookStore(call.store).deliveries(webhook_id, query.cursor, query.limit)
    return DeliveryPage(items=items, next_cursor=cursor)


# ------------------------------------------------------------------------------ events


def deliver_webhooks(event: Envelope[Any], unit: UnitOfWork) -> None:
    """Queue a delivery of `event` to every webhook subscribed to it, in `unit`.

    It is one more handler of every event in `WEBHOOK_EVENTS`, beside the board counters
    and the automation. The delivery id is the event id: the same on every retry, for the
    receiver to deduplicate."""
    detail_type = event.detail_type
    hooks = WebhookStore(service.store)
    subscribed = [webhook for webhook in hooks.all() if detail_type in webhook.events]
    if not subscribed:
        return
    delivery_id = event.metadata.event_id
    payload = {
        "id": delivery_id,
        "type": detail_type,
        "occurred_at": event.metadata.occurred_at.isoformat(),
        "data": event.data.model_dump(mode="json"),
    }
    now = service.store.clock()
    for webhook in subscribed:
        hooks.enqueue(
            unit,
            delivery_id=delivery_id,
            webhook_id=webhook.id,
            event=detail_type,
            url=webhook.url,
            payload=payload,
            secret_ref=webhook.id,
            now=now,
        )


for _subscribable in WEBHOOK_EVENTS:
    service.handles(getattr(events, _subscribable))(deliver_webhooks)


@service.handles(events.WebhookRequested)
def on_webhook_requested(event: Envelope[events.WebhookRequested], unit: UnitOfWork) -> None:
    """An automation rule's call: sent like any delivery, signed with the secret of the
    webhook its `secret_ref` names (unsigned without one)."""
    data = event.data
    if not integrating.is_allowed_url(data.url):
        observability.logger(service.name).warning("A rule's webhook URL was refused")
        return
    WebhookStore(service.store).enqueue(
        unit,
        delivery_id=data.webhook_id,
        webhook_id=data.secret_ref or RULE_CALLS,
        event="automation",
        url=data.url,
        payload=data.body,
        secret_ref=data.secret_ref,
        now=service.store.clock(),
    )


# ------------------------------------------------------------------------------ the sweep


@dataclass(frozen=True)
class Answer:
    """What one attempt got: an HTTP status and/or an error (None: delivered); `final`
    errors are not retried (the webhook is gone, the URL is not allowed)."""

    status: int | None
    error: str | None
    final: bool = False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (3xx, a failure), not a new place to POST the event to."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _reachable(url: str) -> bool:
    """An https receiver must be on the internet: a webhook is no way into the cloud's
    metadata service or a private network. (Plain http is only ever to this machine.)"""
    if integrating.is_local_url(url):
        return True
    parts = urlsplit(url)
    try:
        addresses = socket.getaddrinfo(parts.hostname or "", parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return True  # not resolvable: the attempt fails as a connection error, and is retried
    return all(integrating.is_public_address(str(address[4][0])) for address in addresses)


def post_over_http(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` (5 s timeout): a 2xx answer is a delivery."""
    if not integrating.is_allowed_url(url) or not _reachable(url):
        return Answer(None, "The URL is not allowed", final=True)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return Answer(error.code, f"HTTP {error.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return Answer(None, f"{type(reason).__name__}: {reason}"[:200])
    return Answer(status, None if 200 <= status < 300 else f"HTTP {status}")


def _send(sent: Outgoing, secret: str | None, now: datetime) -> Answer:
    if sent.secret_ref is not None and secret is None:
        return Answer(None, "The webhook was removed", final=True)
    body = sent.payload.encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Lanka-Event": sent.event,
        "X-Lanka-Delivery": sent.id,
        "X-Lanka-Timestamp": str(timestamp),
    }
    if secret is not None:
        headers["X-Lanka-Signature"] = integrating.signature_header(secret, timestamp, body)
    return post_over_http(sent.url, body, headers)


def send_due() -> dict[str, int]:
    """Send every delivery due by now (up to a batch), each claimed first so that two sweeps
    never send one attempt twice; record each outcome and when to try again."""
    store = service.store
    hooks = WebhookStore(store)
    now = store.clock()
    counts = {"delivered": 0, "pending": 0, "failed": 0, "overtaken": 0}
    claimed = [taken for item in hooks.due(now, SWEEP_BATCH) if (taken := hooks.claim(item, now))]
    if not claimed:
        return counts
    refs = {sent.secret_ref for sent in claimed if sent.secret_ref is not None}
    secrets = {ref: found[1] for ref in refs if (found := hooks.with_secret(ref)) is not None}
    with ThreadPoolExecutor(max_workers=min(SENDERS, len(claimed))) as senders:
        answers = list(
            senders.map(lambda sent: _send(sent, secrets.get(sent.secret_ref or ""), now), claimed)
        )
    log = observability.logger(service.name)
    for sent, answer in zip(claimed, answers, strict=True):
        retry_at = (
            None if answer.final or answer.error is None else integrating.next_attempt(sent.attempt, now)
        )
        outcome = hooks.settle(sent, now, status=answer.status, error=answer.error, retry_at=retry_at)
        counts[outcome] += 1
        if outcome == "failed":
            log.warning(
                "A webhook delivery was given up",
                extra={"webhook_id": sent.webhook_id, "delivery_id": sent.id, "attempts": sent.attempt},
            )
    return counts


def webhooks(event: Any) -> dict[str, int]:
    with observability.correlated(service.name, None):
        return send_due()


# Lambda finds it as `app.<its name>` (services/<service>/app.py re-exports it).
service.every_minute("webhooks")(webhooks)
