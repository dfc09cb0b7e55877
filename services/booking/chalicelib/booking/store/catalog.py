"""Bookable services (the catalog) in the booking table.

| item      | pk        | sk             |
| --------- | --------- | -------------- |
| offering  | CATALOG   | OFFERING#<key> |

The whole catalog is one partition: availability reads it with one Query. Every change
also writes the directory's stamp (see `directory`).
"""

from __future__ import annotations

from chalicelib.booking.domain.catalog import Offering, OfferingPage
from chalicelib.booking.store.directory import mark_changed
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Store, TableModel, writes

_CATALOG = "CATALOG"


class OfferingItem(TableModel):
    data = UnicodeAttribute()


MODELS = (OfferingItem,)


class OfferingCatalog:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._items = store.model(OfferingItem)
        self._secret = store.settings.cursor_secret.encode()

    def add(self, unit: UnitOfWork, offering: Offering) -> None:
        mark_changed(self._store, unit)
        item = self._items(pk=_CATALOG, sk=f"OFFERING#{offering.key}", data=offering.model_dump_json())
        writes(unit).put(
            item,
            condition=self._items.pk.does_not_exist(),
            on_conflict=lambda: Problem.conflict(f"A service with the key «{offering.key}» already exists."),
        )

    def replace(self, unit: UnitOfWork, offering: Offering) -> None:
        mark_changed(self._store, unit)
        item = self._items(pk=_CATALOG, sk=f"OFFERING#{offering.key}", data=offering.model_dump_json())
        writes(unit).put(
            item, condition=self._items.pk.exists(), on_conflict=lambda: Problem.not_found("The service")
        )

    def get(self, offering_id: str) -> Offering | None:
        try:
            return _offering(self._items.get(_CATALOG, f"OFFERING#{offering_id}"))
        except DoesNotExist:
            return None

    def all(self) -> list[Offering]:
        return [
            _offering(item) for item in self._items.query(_CATALOG, self._items.sk.startswith("OFFERING#"))
        ]

    def page(self, limit: int, cursor: str | None) -> OfferingPage:
        result = self._items.query(
            _CATALOG,
            self._items.sk.startswith("OFFERING#"),
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, self._secret),
        )
        items = [_offering(item) for item in result]
        return OfferingPage(items=items, next_cursor=encode_cursor(result.last_evaluated_key, self._secret))


def _offering(item: OfferingItem) -> Offering:
    return Offering.model_validate_json(item.data)
