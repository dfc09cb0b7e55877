"""Bookable services (the catalog) in the booking table.

| item      | pk        | sk            |
| --------- | --------- | ------------- |
| offering  | CATALOG   | OFFERING#<id> |
"""

from __future__ import annotations

from chalicelib.booking.domain.catalog import Offering, OfferingPage
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.money import Money
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.storage import Store, TableModel, UnitOfWork

_CATALOG = "CATALOG"


class OfferingItem(TableModel):
    name = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    price_amount = NumberAttribute(null=True)
    price_currency = UnicodeAttribute(null=True)
    at_client_address = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


MODELS = (OfferingItem,)


class OfferingCatalog:
    def __init__(self, store: Store) -> None:
        self._items = store.model(OfferingItem)
        self._secret = store.settings.cursor_secret.encode()

    def add(self, unit: UnitOfWork, offering: Offering) -> None:
        item = self._items(
            pk=_CATALOG,
            sk=f"OFFERING#{offering.id}",
            name=offering.name,
            duration_minutes=offering.duration_minutes,
            price_amount=offering.price.amount if offering.price else None,
            price_currency=offering.price.currency if offering.price else None,
            at_client_address=offering.at_client_address,
            created_at=to_iso(offering.created_at),
        )
        unit.put(item, condition=self._items.pk.does_not_exist())

    def get(self, offering_id: str) -> Offering | None:
        try:
            return _offering(self._items.get(_CATALOG, f"OFFERING#{offering_id}"))
        except DoesNotExist:
            return None

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
    price = None
    if item.price_amount is not None:
        price = Money(amount=int(item.price_amount), currency=item.price_currency or "UAH")
    return Offering(
        id=item.sk.removeprefix("OFFERING#"),
        name=item.name,
        duration_minutes=int(item.duration_minutes),
        price=price,
        at_client_address=bool(item.at_client_address),
        created_at=from_iso(item.created_at),
    )
