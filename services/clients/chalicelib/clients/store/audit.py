"""Audit items: who read whose contact details, who exported, merged or erased what.

| item        | pk                 | sk             | gsi1 (by client)        | gsi2 (by member of staff) |
| ----------- | ------------------ | -------------- | ----------------------- | ------------------------- |
| audit entry | AUDIT#<YYYY-MM-DD> | <at>#<id>      | AUDIT#CLIENT#<id> / sk  | AUDIT#STAFF#<id> / sk     |

Entries hold ids, never the details that were read. A day's partition keeps writes spread;
an admin reads by client, by member of staff, or by day, one Query a page.
"""

from __future__ import annotations

from chalicelib.clients.domain.audit import AuditEntry
from pynamodb.attributes import UnicodeAttribute

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Gsi1, Gsi2, Store, TableModel, writes


class AuditItem(TableModel):
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    at = UnicodeAttribute()
    detail = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi1 = Gsi1()
    gsi2 = Gsi2()


MODELS = (AuditItem,)


class AuditLog:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._items = store.model(AuditItem)

    def item(self, entry: AuditEntry) -> AuditItem:
        at = to_iso(entry.at)
        sk = f"{at}#{entry.id}"
        return self._items(
            pk=f"AUDIT#{at[:10]}",
            sk=sk,
            action=entry.action,
            actor_id=entry.actor_id,
            client_id=entry.client_id,
            at=at,
            detail=entry.detail,
            gsi1pk=f"AUDIT#CLIENT#{entry.client_id}" if entry.client_id else None,
            gsi1sk=sk if entry.client_id else None,
            gsi2pk=f"AUDIT#STAFF#{entry.actor_id}",
            gsi2sk=sk,
        )

    def write(self, entry: AuditEntry) -> None:
        """Written on its own, before the details are returned: a read writes nothing else."""
        self.item(entry).save()

    def add(self, unit: UnitOfWork, entry: AuditEntry) -> None:
        writes(unit).put(self.item(entry))

    def page(
        self, *, client_id: str | None, actor_id: str | None, day: str | None, cursor: str | None, limit: int
    ) -> tuple[list[AuditEntry], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        start = decode_cursor(cursor, secret)
        if client_id:
            result = self._items.gsi1.query(
                f"AUDIT#CLIENT#{client_id}", scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        elif actor_id:
            result = self._items.gsi2.query(
                f"AUDIT#STAFF#{actor_id}", scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        else:
            result = self._items.query(
                f"AUDIT#{day}", scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        entries = [
            AuditEntry(
                id=item.sk.rsplit("#", 1)[1],
                action=item.action,
                actor_id=item.actor_id,
                client_id=item.client_id,
                at=from_iso(item.at),
                detail=item.detail,
            )
            for item in result
        ]
        return entries, encode_cursor(result.last_evaluated_key, secret)
