"""Templates, staff alerts and outgoing messages in the notifications table.

| item      | pk                   | sk       |
| --------- | -------------------- | -------- |
| template  | TEMPLATE#<id>        | TEMPLATE |
| alert     | ALERTS#<audience>    | <created_at>#<id> |
| message   | MESSAGES#<client>    | <requested_at>#<id> |
"""

from __future__ import annotations

import json

from chalicelib.notifications.domain.alerts import StaffAlert
from chalicelib.notifications.domain.messages import OutgoingMessage
from chalicelib.notifications.domain.templates import Template
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.storage import Store, TableModel, UnitOfWork


class TemplateItem(TableModel):
    name = UnicodeAttribute()
    channel = UnicodeAttribute()
    locale = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()


class AlertItem(TableModel):
    kind = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UnicodeAttribute()
    data = UnicodeAttribute()


class MessageItem(TableModel):
    body = UnicodeAttribute()


MODELS = (TemplateItem, AlertItem, MessageItem)


class MessageStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._items = store.model(MessageItem)

    def add(self, unit: UnitOfWork, message: OutgoingMessage) -> None:
        unit.put(
            self._items(
                pk=f"MESSAGES#{message.client_id}",
                sk=f"{to_iso(message.requested_at)}#{message.id}",
                body=message.model_dump_json(),
            )
        )

    def scrub_client(self, client_id: str) -> None:
        """Empty the variables of every message to the client (each item rewritten once)."""
        for item in self._items.query(f"MESSAGES#{client_id}"):
            message = OutgoingMessage.model_validate_json(item.body)
            if message.variables:
                item.body = message.model_copy(update={"variables": {}}).model_dump_json()
                item.save()

    def of_client(
        self, client_id: str, cursor: str | None, limit: int
    ) -> tuple[list[OutgoingMessage], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        result = self._items.query(
            f"MESSAGES#{client_id}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, secret),
        )
        items = [OutgoingMessage.model_validate_json(item.body) for item in result]
        return items, encode_cursor(result.last_evaluated_key, secret)


class AlertStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._items = store.model(AlertItem)

    def add(self, unit: UnitOfWork, alert: StaffAlert) -> None:
        at = to_iso(alert.created_at)
        unit.put(
            self._items(
                pk=f"ALERTS#{alert.audience}",
                sk=f"{at}#{alert.id}",
                kind=alert.kind,
                text=alert.text,
                created_at=at,
                data=json.dumps(alert.data, ensure_ascii=False),
            )
        )

    def page(self, audience: str, cursor: str | None, limit: int) -> tuple[list[StaffAlert], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        result = self._items.query(
            f"ALERTS#{audience}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, secret),
        )
        alerts = [
            StaffAlert(
                id=item.sk.rsplit("#", 1)[1],
                audience=audience,
                kind=item.kind,
                text=item.text,
                created_at=from_iso(item.created_at),
                data=json.loads(item.data),
            )
            for item in result
        ]
        return alerts, encode_cursor(result.last_evaluated_key, secret)


class TemplateStore:
    def __init__(self, store: Store) -> None:
        self._items = store.model(TemplateItem)

    def add(self, unit: UnitOfWork, template: Template) -> None:
        item = self._items(
            pk=f"TEMPLATE#{template.id}",
            sk="TEMPLATE",
            name=template.name,
            channel=template.channel,
            locale=template.locale,
            subject=template.subject,
            body=template.body,
            created_at=to_iso(template.created_at),
        )
        unit.put(item, condition=self._items.pk.does_not_exist())

    def get(self, template_id: str) -> Template | None:
        try:
            item = self._items.get(f"TEMPLATE#{template_id}", "TEMPLATE")
        except DoesNotExist:
            return None
        return Template(
            id=template_id,
            name=item.name,
            channel=item.channel,
            locale=item.locale,
            subject=item.subject,
            body=item.body,
            created_at=from_iso(item.created_at),
        )
