"""The deals table: the only code that knows its keys.

| item          | pk            | sk   |
| ------------- | ------------- | ---- |
| client card   | CLIENT#<id>   | CARD |
"""

from __future__ import annotations

from chalicelib.deals.domain.directory import ClientCard
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.consumer import STALE
from lanka_platform.storage import Store, TableModel, UnitOfWork


class ClientCardItem(TableModel):
    name = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    as_of = UnicodeAttribute()


MODELS = (ClientCardItem,)


class ClientDirectory:
    def __init__(self, store: Store) -> None:
        self._cards = store.model(ClientCardItem)

    def remember(self, unit: UnitOfWork, card: ClientCard) -> None:
        as_of = to_iso(card.as_of)
        item = self._cards(
            pk=f"CLIENT#{card.client_id}", sk="CARD", name=card.name, owner_id=card.owner_id, as_of=as_of
        )
        newer = self._cards.pk.does_not_exist() | (self._cards.as_of < as_of)
        unit.put(item, condition=newer, tag=f"{STALE}client-card")

    def card(self, client_id: str) -> ClientCard | None:
        try:
            item = self._cards.get(f"CLIENT#{client_id}", "CARD")
        except DoesNotExist:
            return None
        return ClientCard(
            client_id=client_id, name=item.name, owner_id=item.owner_id, as_of=from_iso(item.as_of)
        )
