"""API keys, their use counters and audit trail, webhooks and deliveries.

| item             | pk                            | sk                     |
| ---------------- | ----------------------------- | ---------------------- |
| API key          | APIKEY                        | <key id>               |
| use counter      | KEYRATE#<key id>              | <YYYY-MM-DDTHH:MM>     |
| key use (audit)  | KEYUSE#<key id>               | <at>#<ulid>            |
| webhook          | WEBHOOK                       | <webhook id>           |
| delivery         | WEBHOOKDELIVERY#<webhook id>  | <delivery id>          |

Keys and webhooks are few (a company has a handful): each kind lives in one partition, so
listing them is one Query and finding one is one GetItem. A use counter counts a key's
requests in one minute with a conditional ADD (the limit is the condition) and expires an
hour later. The payments a key posts are the deals' payments, kept by
`store.payments` with every other payment.

A delivery still to be sent is on gsi1 under `WEBHOOKDUE` / `<minute of the next
attempt>#<webhook id>#<delivery id>`: the sweep reads what is due with one Query, oldest
first (never a Scan), and a delivered or failed delivery leaves the index (a sparse index).
Deliveries are kept 30 days; key uses a year.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.deals.domain.integrations import (
    ApiKey,
    Delivery,
    KeyUse,
    Webhook,
)
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.ids import new_id
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Gsi1, Store, TableModel, writes

DUE = "WEBHOOKDUE"
RATE_KEPT = timedelta(hours=1)
USES_KEPT = timedelta(days=365)
DELIVERIES_KEPT = timedelta(days=30)
# A claimed delivery whose sweep died is taken up again this much later.
CLAIM_LEASE = timedelta(minutes=10)


class ApiKeyItem(TableModel):
    body = UnicodeAttribute()
    secret_hash = UnicodeAttribute()


class KeyRateItem(TableModel):
    uses = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class KeyUseItem(TableModel):
    body = UnicodeAttribute()
    expires_at = TTLAttribute()


class WebhookItem(TableModel):
    body = UnicodeAttribute()
    secret = UnicodeAttribute()


class DeliveryItem(TableModel):
    webhook_id = UnicodeAttribute()
    event = UnicodeAttribute()
    url = UnicodeAttribute()
    payload = UnicodeAttribute()
    # The webhook whose secret signs it (None: an automation call without a secret).
    secret_ref = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    last_status = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    last_attempt_at = UnicodeAttribute(null=True)
    next_attempt_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    expires_at = TTLAttribute()


MODELS = (ApiKeyItem, KeyRateItem, KeyUseItem, WebhookItem, DeliveryItem)


def _minute(moment: datetime) -> str:
    return to_iso(moment)[:16]


def _due_key(at: datetime, webhook_id: str, delivery_id: str) -> str:
    return f"{_minute(at)}#{webhook_id}#{delivery_id}"


def _conditional_failure(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


# ------------------------------------------------------------------------------ keys


class KeyStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._keys = store.model(ApiKeyItem)
        self._rates = store.model(KeyRateItem)
        self._uses = store.model(KeyUseItem)

    @property
    def _secret(self) -> bytes:
        return self._store.settings.cursor_secret.encode()

    def add(self, unit: UnitOfWork, key: ApiKey, secret_hash: str) -> None:
        item = self._keys(pk="APIKEY", sk=key.id, body=key.model_dump_json(), secret_hash=secret_hash)
        writes(unit).put(item, condition=self._keys.pk.does_not_exist())

    def replace(self, unit: UnitOfWork, key: ApiKey, secret_hash: str) -> None:
        item = self._keys(pk="APIKEY", sk=key.id, body=key.model_dump_json(), secret_hash=secret_hash)
        writes(unit).put(item, condition=self._keys.pk.exists())

    def get(self, key_id: str) -> tuple[ApiKey, str] | None:
        """The key and its secret's hash (one GetItem)."""
        try:
            item = self._keys.get("APIKEY", key_id)
        except DoesNotExist:
            return None
        return ApiKey.model_validate_json(item.body), item.secret_hash

    def all(self) -> list[ApiKey]:
        return [ApiKey.model_validate_json(item.body) for item in self._keys.query("APIKEY")]

    def count_use(self, key_id: str, now: datetime, limit: int) -> bool:
        """Count one request of this minute; False (and nothing counted) past the limit."""
        rates = self._rates
        item = rates(pk=f"KEYRATE#{key_id}", sk=_minute(now))
        actions: list[Action] = [rates.uses.add(1), rates.expires_at.set(now + RATE_KEPT)]
        try:
            item.update(actions=actions, condition=rates.uses.does_not_exist() | (rates.uses < limit))
        except UpdateError as error:
            if _conditional_failure(error):
                return False
            raise
        return True

    def record_use(self, unit: UnitOfWork, use: KeyUse) -> None:
        item = self._uses(
            pk=f"KEYUSE#{use.key_id}",
            sk=f"{to_iso(use.at)}#{new_id()}",
            body=use.model_dump_json(),
            expires_at=use.at + USES_KEPT,
        )
        writes(unit).put(item)

    def uses(self, key_id: str, cursor: str | None, limit: int) -> tuple[list[KeyUse], str | None]:
        result = self._uses.query(
            f"KEYUSE#{key_id}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, self._secret),
        )
        items = [KeyUse.model_validate_json(item.body) for item in result]
        return items, encode_cursor(result.last_evaluated_key, self._secret)


# ------------------------------------------------------------------------------ payments


# ------------------------------------------------------------------------------ webhooks


@dataclass(frozen=True)
class Outgoing:
    """A delivery the sweep is about to send (with the attempt number it claimed)."""

    id: str
    webhook_id: str
    event: str
    url: str
    payload: str
    secret_ref: str | None
    attempt: int


class WebhookStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._webhooks = store.model(WebhookItem)
        self._deliveries = store.model(DeliveryItem)

    @property
    def _secret(self) -> bytes:
        return self._store.settings.cursor_secret.encode()

    def add(self, unit: UnitOfWork, webhook: Webhook, secret: str) -> None:
        item = self._webhooks(pk="WEBHOOK", sk=webhook.id, body=webhook.model_dump_json(), secret=secret)
        writes(unit).put(item, condition=self._webhooks.pk.does_not_exist())

    def remove(self, unit: UnitOfWork, webhook_id: str) -> None:
        writes(unit).delete(self._webhooks(pk="WEBHOOK", sk=webhook_id))

    def get(self, webhook_id: str) -> Webhook | None:
        found = self.with_secret(webhook_id)
        return found[0] if found else None

    def with_secret(self, webhook_id: str) -> tuple[Webhook, str] | None:
        try:
            item = self._webhooks.get("WEBHOOK", webhook_id)
        except DoesNotExist:
            return None
        return Webhook.model_validate_json(item.body), item.secret

    def all(self) -> list[Webhook]:
        return [Webhook.model_validate_json(item.body) for item in self._webhooks.query("WEBHOOK")]

    # ---------------------------------------------------------------- deliveries

    def enqueue(
        self,
        unit: UnitOfWork,
        *,
        delivery_id: str,
        webhook_id: str,
        event: str,
        url: str,
        payload: dict[str, Any],
        secret_ref: str | None,
        now: datetime,
    ) -> None:
        """A pending delivery, due at once (the next sweep sends it).

        Unconditional: the consumer's processed-event marker already makes one event one
        delivery, and a failed condition here would cancel the handler's other writes."""
        writes(unit).put(
            self._deliveries(
                pk=f"WEBHOOKDELIVERY#{webhook_id}",
                sk=delivery_id,
                webhook_id=webhook_id,
                event=event,
                url=url,
                payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                secret_ref=secret_ref,
                status="pending",
                attempts=0,
                next_attempt_at=to_iso(now),
                created_at=to_iso(now),
                gsi1pk=DUE,
                gsi1sk=_due_key(now, webhook_id, delivery_id),
                expires_at=now + DELIVERIES_KEPT,
            )
        )

    def due(self, now: datetime, limit: int) -> list[DeliveryItem]:
        """Pending deliveries whose next attempt is this minute or earlier, oldest first."""
        next_minute = _minute(now + timedelta(minutes=1))
        return list(self._deliveries.gsi1.query(DUE, self._deliveries.gsi1sk < next_minute, limit=limit))

    def claim(self, item: DeliveryItem, now: datetime) -> Outgoing | None:
        """Take a due delivery for one attempt; None when another sweep took it first.

        The claim moves it a lease ahead in the index, so a sweep that dies mid-send leaves
        it to be tried again later rather than lost."""
        model = self._deliveries
        attempts = int(item.attempts or 0)
        target = model(pk=item.pk, sk=item.sk)
        actions: list[Action] = [
            model.attempts.set(attempts + 1),
            model.last_attempt_at.set(to_iso(now)),
            model.gsi1sk.set(_due_key(now + CLAIM_LEASE, item.webhook_id, item.sk)),
        ]
        try:
            target.update(
                actions=actions, condition=(model.status == "pending") & (model.attempts == attempts)
            )
        except UpdateError as error:
            if _conditional_failure(error):
                return None
            raise
        return Outgoing(
            id=item.sk,
            webhook_id=item.webhook_id,
            event=item.event,
            url=item.url,
            payload=item.payload,
            secret_ref=item.secret_ref,
            attempt=attempts + 1,
        )

    def settle(
        self,
        sent: Outgoing,
        now: datetime,
        *,
        status: int | None,
        error: str | None,
        retry_at: datetime | None,
    ) -> str:
        """Record the attempt's outcome: delivered, pending again at `retry_at`, or failed."""
        model = self._deliveries
        target = model(pk=f"WEBHOOKDELIVERY#{sent.webhook_id}", sk=sent.id)
        actions: list[Action] = [
            model.last_status.set(status) if status is not None else model.last_status.remove(),
            model.last_error.set(error) if error else model.last_error.remove(),
        ]
        if error is None:
            outcome = "delivered"
        elif retry_at is not None:
            outcome = "pending"
        else:
            outcome = "failed"
        actions.append(model.status.set(outcome))
        if outcome == "pending" and retry_at is not None:
            actions += [
                model.next_attempt_at.set(to_iso(retry_at)),
                model.gsi1sk.set(_due_key(retry_at, sent.webhook_id, sent.id)),
            ]
        else:
            actions += [model.next_attempt_at.remove(), model.gsi1pk.remove(), model.gsi1sk.remove()]
        try:
            target.update(actions=actions, condition=model.attempts == sent.attempt)
        except UpdateError as failure:
            if _conditional_failure(failure):
                return "overtaken"  # its lease ran out and another sweep took it
            raise
        return outcome

    def deliveries(
        self, webhook_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Delivery], str | None]:
        result = self._deliveries.query(
            f"WEBHOOKDELIVERY#{webhook_id}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, self._secret),
        )
        items = [_delivery(item) for item in result]
        return items, encode_cursor(result.last_evaluated_key, self._secret)


def _delivery(item: DeliveryItem) -> Delivery:
    return Delivery(
        id=item.sk,
        webhook_id=item.webhook_id,
        event=item.event,
        status=item.status,
        attempts=int(item.attempts or 0),
        last_status=int(item.last_status) if item.last_status is not None else None,
        last_error=item.last_error,
        last_attempt_at=from_iso(item.last_attempt_at) if item.last_attempt_at else None,
        next_attempt_at=from_iso(item.next_attempt_at) if item.next_attempt_at else None,
        created_at=from_iso(item.created_at),
    )
