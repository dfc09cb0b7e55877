"""The staff feed in the notifications table.

| item          | pk                          | sk                  |
| ------------- | --------------------------- | ------------------- |
| alert         | ALERTS#<audience>           | <created_at>#<id>   |
| unread count  | FEED#<audience>             | UNREAD              |
| subscription  | SUBSCRIPTION#<user id>      | SUBSCRIPTION        |
| subscriber    | SUBSCRIBERS#<audience>      | <user id>           |

The unread count is added to as alerts arrive and taken from as they are read; "mark all
read" sets it to zero and remembers the moment (`read_up_to`): every alert up to it reads
as read, without touching each one. A subscriber item lists a user under every audience
they hear (their own and each of their roles'), so an alert finds its subscribers with one
Query.
"""

from __future__ import annotations

import json

from chalicelib.notifications.domain.alerts import StaffAlert, Subscription
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Store, TableModel, writes


class AlertItem(TableModel):
    kind = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UnicodeAttribute()
    data = UnicodeAttribute()
    read_at = UnicodeAttribute(null=True)


class FeedCountItem(TableModel):
    unread = NumberAttribute(default=0)
    read_up_to = UnicodeAttribute(null=True)


class SubscriptionItem(TableModel):
    body = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    audiences = UnicodeAttribute(default="[]")


class SubscriberItem(TableModel):
    body = UnicodeAttribute()
    email = UnicodeAttribute(null=True)


MODELS = (AlertItem, FeedCountItem, SubscriptionItem, SubscriberItem)


class AlertStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._items = store.model(AlertItem)
        self._counts = store.model(FeedCountItem)

    def add(self, unit: UnitOfWork, alert: StaffAlert) -> None:
        at = to_iso(alert.created_at)
        writes(unit).put(
            self._items(
                pk=f"ALERTS#{alert.audience}",
                sk=f"{at}#{alert.id}",
                kind=alert.kind,
                text=alert.text,
                created_at=at,
                data=json.dumps(alert.data, ensure_ascii=False),
            )
        )
        counts = self._counts
        writes(unit).update(counts(f"FEED#{alert.audience}", "UNREAD"), [counts.unread.add(1)])

    def _count(self, audience: str) -> FeedCountItem | None:
        try:
            return self._counts.get(f"FEED#{audience}", "UNREAD", consistent_read=True)
        except DoesNotExist:
            return None

    def unread(self, audience: str) -> int:
        count = self._count(audience)
        return max(0, int(count.unread or 0)) if count is not None else 0

    def page(self, audience: str, cursor: str | None, limit: int) -> tuple[list[StaffAlert], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        count = self._count(audience)
        read_up_to = count.read_up_to if count is not None else None
        result = self._items.query(
            f"ALERTS#{audience}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, secret),
        )
        alerts = [
            StaffAlert(
                id=item.sk.rsplit("#", 1)[1],
                key=item.sk,
                audience=audience,
                kind=item.kind,
                text=item.text,
                created_at=from_iso(item.created_at),
                data=json.loads(item.data),
                read=bool(item.read_at) or (read_up_to is not None and item.created_at <= read_up_to),
            )
            for item in result
        ]
        return alerts, encode_cursor(result.last_evaluated_key, secret)

    def mark_read(self, unit: UnitOfWork, audience: str, key: str, now: str) -> None:
        """Mark one alert read (nothing when it was read already)."""
        try:
            item = self._items.get(f"ALERTS#{audience}", key, consistent_read=True)
        except DoesNotExist:
            raise Problem.not_found("The alert") from None
        count = self._count(audience)
        if item.read_at or (count is not None and count.read_up_to and item.created_at <= count.read_up_to):
            return
        items, counts = self._items, self._counts
        writes(unit).update(
            items(f"ALERTS#{audience}", key),
            [items.read_at.set(now)],
            condition=items.read_at.does_not_exist(),
            on_conflict=lambda: Problem.conflict("The alert was marked read meanwhile."),
        )
        writes(unit).update(counts(f"FEED#{audience}", "UNREAD"), [counts.unread.add(-1)])

    def mark_all_read(self, unit: UnitOfWork, audience: str, now: str) -> None:
        counts = self._counts
        writes(unit).put(counts(f"FEED#{audience}", "UNREAD", unread=0, read_up_to=now))


class SubscriptionStore:
    def __init__(self, store: Store) -> None:
        self._subscriptions = store.model(SubscriptionItem)
        self._subscribers = store.model(SubscriberItem)

    def get(self, user_id: str) -> Subscription:
        try:
            item = self._subscriptions.get(f"SUBSCRIPTION#{user_id}", "SUBSCRIPTION")
        except DoesNotExist:
            return Subscription()
        return Subscription.model_validate_json(item.body)

    def save(
        self,
        unit: UnitOfWork,
        user_id: str,
        email: str | None,
        audiences: list[str],
        subscription: Subscription,
    ) -> None:
        """Replace the user's subscription and their entries under every audience."""
        try:
            before = json.loads(
                self._subscriptions.get(f"SUBSCRIPTION#{user_id}", "SUBSCRIPTION").audiences or "[]"
            )
        except DoesNotExist:
            before = []
        body = subscription.model_dump_json()
        writes(unit).put(
            self._subscriptions(
                f"SUBSCRIPTION#{user_id}",
                "SUBSCRIPTION",
                body=body,
                email=email,
                audiences=json.dumps(audiences),
            )
        )
        wanted = audiences if subscription.kinds else []
        for audience in set(before) - set(wanted):
            writes(unit).delete(self._subscribers(f"SUBSCRIBERS#{audience}", user_id))
        for audience in wanted:
            writes(unit).put(self._subscribers(f"SUBSCRIBERS#{audience}", user_id, body=body, email=email))

    def of_audience(self, audience: str) -> list[tuple[str, str | None, Subscription]]:
        """(user id, e-mail, subscription) of everyone who hears `audience`."""
        return [
            (item.sk, item.email, Subscription.model_validate_json(item.body))
            for item in self._subscribers.query(f"SUBSCRIBERS#{audience}")
        ]
