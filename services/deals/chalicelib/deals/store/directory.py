"""The deals table: the only code that knows its keys.

| item          | pk            | sk   |
| ------------- | ------------- | ---- |
| client card   | CLIENT#<id>   | CARD |
"""

from __future__ import annotations

from chalicelib.deals.domain.directory import ClientCard
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.consumer import STALE
from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Store, TableModel, writes


class ClientCardItem(TableModel):
    name = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    as_of = UnicodeAttribute()
    version = NumberAttribute(default=1)
    merged_into = UnicodeAttribute(null=True)
    erased = BooleanAttribute(default=False)


MODELS = (ClientCardItem,)


class ClientDirectory:
    def __init__(self, store: Store) -> None:
        self._cards = store.model(ClientCardItem)

    def _item(self, card: ClientCard) -> ClientCardItem:
        return self._cards(
            pk=f"CLIENT#{card.client_id}",
            sk="CARD",
            name=card.name,
            owner_id=card.owner_id,
            as_of=to_iso(card.as_of),
            version=card.version,
            merged_into=card.merged_into,
            erased=card.erased,
        )

    def remember(self, unit: UnitOfWork, card: ClientCard) -> None:
        """Only a newer version of a card that is still live replaces what is kept."""
        cards = self._cards
        live = cards.merged_into.does_not_exist() & (cards.erased.does_not_exist() | (cards.erased == False))  # noqa: E712
        newer = cards.pk.does_not_exist() | ((cards.version < card.version) & live)
        writes(unit).put(self._item(card), condition=newer, tag=f"{STALE}client-card")

    def retire(self, unit: UnitOfWork, card: ClientCard) -> None:
        """Merged or erased is final: written whatever came before, and never undone."""
        writes(unit).put(self._item(card))

    def card(self, client_id: str) -> ClientCard | None:
        try:
            item = self._cards.get(f"CLIENT#{client_id}", "CARD")
        except DoesNotExist:
            return None
        return ClientCard(
            client_id=client_id,
            name=item.name,
            owner_id=item.owner_id,
            as_of=from_iso(item.as_of),
            version=int(item.version or 1),
            merged_into=item.merged_into,
            erased=bool(item.erased),
        )
