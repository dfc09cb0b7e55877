"""The client timeline items: one per event that concerns a client, newest first.

| item           | pk                 | sk                      | gsi1 (one kind)                |
| -------------- | ------------------ | ----------------------- | ------------------------------ |
| timeline entry | TIMELINE#<client>  | <occurred_at>#<event>   | TIMELINE#<client>#<kind> / sk  |

The sort key is the event's own time and id, so an event that arrives late lands in its
place, and one that arrives twice overwrites itself: the projection is right whatever the
order of delivery. A page is one Query (newest first), a page of one kind one Query on gsi1.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.clients.domain.timeline import TimelineEntry
from pynamodb.attributes import UnicodeAttribute

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Gsi1, Store, TableModel, writes


class TimelineItem(TableModel):
    kind = UnicodeAttribute()
    event_type = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    detail = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi1 = Gsi1()


MODELS = (TimelineItem,)


def _partition(client_id: str) -> str:
    return f"TIMELINE#{client_id}"


class TimelineStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._items = store.model(TimelineItem)

    def record(self, unit: UnitOfWork, entry: TimelineEntry) -> None:
        sk = f"{to_iso(entry.occurred_at)}#{entry.id}"
        writes(unit).put(
            self._items(
                pk=_partition(entry.client_id),
                sk=sk,
                kind=entry.kind,
                event_type=entry.event_type,
                occurred_at=to_iso(entry.occurred_at),
                actor_id=entry.actor_id,
                detail=json.dumps(entry.detail, ensure_ascii=False),
                gsi1pk=f"{_partition(entry.client_id)}#{entry.kind}",
                gsi1sk=sk,
            )
        )

    def page(
        self, client_id: str, kind: str | None, cursor: str | None, limit: int
    ) -> tuple[list[TimelineEntry], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        start = decode_cursor(cursor, secret)
        if kind is None:
            result = self._items.query(
                _partition(client_id), scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        else:
            result = self._items.gsi1.query(
                f"{_partition(client_id)}#{kind}",
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=start,
            )
        entries = [_entry(client_id, item) for item in result]
        return entries, encode_cursor(result.last_evaluated_key, secret)

    def raw_page(
        self, client_id: str, start: dict[str, Any] | None, limit: int
    ) -> tuple[list[TimelineItem], dict[str, Any] | None]:
        """Items in time order, for background jobs that move or scrub a whole timeline."""
        result = self._items.query(_partition(client_id), limit=limit, last_evaluated_key=start)
        return list(result), result.last_evaluated_key

    def move(self, unit: UnitOfWork, item: TimelineItem, to_client: str) -> None:
        """Queue `item` under another client's timeline (a merge), removing it from its own."""
        copy = self._items(
            pk=_partition(to_client),
            sk=item.sk,
            kind=item.kind,
            event_type=item.event_type,
            occurred_at=item.occurred_at,
            actor_id=item.actor_id,
            detail=item.detail,
            gsi1pk=f"{_partition(to_client)}#{item.kind}",
            gsi1sk=item.sk,
        )
        writes(unit).put(copy)
        writes(unit).delete(item)

    def scrub(self, unit: UnitOfWork, item: TimelineItem, detail: dict[str, Any]) -> None:
        item.detail = json.dumps(detail, ensure_ascii=False)
        writes(unit).put(item)


def _entry(client_id: str, item: TimelineItem) -> TimelineEntry:
    return TimelineEntry(
        id=item.sk.rsplit("#", 1)[1],
        client_id=client_id,
        kind=item.kind,
        event_type=item.event_type,
        occurred_at=from_iso(item.occurred_at),
        actor_id=item.actor_id,
        detail=json.loads(item.detail),
    )
