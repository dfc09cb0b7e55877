"""Price books, quotes and the widget settings in the booking table.

| item                 | pk                     | sk                  |
| -------------------- | ---------------------- | ------------------- |
| current price book   | PRICEBOOK              | CURRENT             |
| a saved version      | PRICEBOOK              | VERSION#<000001>    |
| quote                | QUOTE#<id>             | QUOTE               |
| a client's quote     | CLIENT#<id>#QUOTES     | <created>#<id>      |
| a deal's quote       | DEAL#<id>#QUOTES       | <created>#<id>      |
| a quote not linked   | QUOTES#UNLINKED        | <created>#<id>      |
| widget settings      | SETTINGS               | WIDGETS             |

The current price book is a copy of its latest version, so the widget reads it with one
GetItem; saving writes both in one transaction, on the condition that the current one is
still the version the editor read. A client's or deal's quotes are one Query of references
and one BatchGet of the quotes.

A quote that keeps the visitor's contact details (its client is not known yet) is listed
under `QUOTES#UNLINKED` until it is linked or its details are dropped: the retention
schedule reads the oldest of them with one Query, never a Scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.booking.domain.pricing import PriceBook
from chalicelib.booking.domain.quotes import Contact, Quote, WidgetSettings
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from lanka_platform.clock import to_iso
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Store, TableModel, writes

_BOOK = "PRICEBOOK"
UNLINKED = "QUOTES#UNLINKED"
# Quotes re-pointed per merge: three writes each, within one transaction's 100 items.
MERGE_BATCH = 30


class PriceBookItem(TableModel):
    version = NumberAttribute()
    document = UnicodeAttribute()


class QuoteItem(TableModel):
    status = UnicodeAttribute()
    revision = NumberAttribute()
    document = UnicodeAttribute()  # the quote, without contact details
    contact = UnicodeAttribute(null=True)  # kept only until the client is known
    client_id = UnicodeAttribute(null=True)
    deal_id = UnicodeAttribute(null=True)


class QuoteRef(TableModel):
    quote_id = UnicodeAttribute()


class WidgetSettingsItem(TableModel):
    document = UnicodeAttribute()


MODELS = (PriceBookItem, QuoteItem, QuoteRef, WidgetSettingsItem)


class PriceBooks:
    def __init__(self, store: Store) -> None:
        self._items = store.model(PriceBookItem)

    def current(self) -> PriceBook | None:
        try:
            item = self._items.get(_BOOK, "CURRENT")
        except DoesNotExist:
            return None
        return PriceBook.model_validate_json(item.document)

    def version(self, version: int) -> PriceBook | None:
        try:
            item = self._items.get(_BOOK, f"VERSION#{version:06d}")
        except DoesNotExist:
            return None
        return PriceBook.model_validate_json(item.document)

    def save(self, unit: UnitOfWork, book: PriceBook) -> None:
        document = book.model_dump_json()
        model = self._items
        stale = Problem.conflict(
            "The price book was changed meanwhile; reload it and apply your changes again.",
            current_version=book.version - 1,
        )
        current = model(pk=_BOOK, sk="CURRENT", version=book.version, document=document)
        condition: Condition
        if book.version == 1:
            condition = model.pk.does_not_exist()
        else:
            condition = model.version == book.version - 1
        writes(unit).put(current, condition=condition, on_conflict=lambda: stale)
        saved = model(pk=_BOOK, sk=f"VERSION#{book.version:06d}", version=book.version, document=document)
        writes(unit).put(saved, condition=model.pk.does_not_exist(), on_conflict=lambda: stale)


@dataclass(frozen=True)
class StoredQuote:
    quote: Quote
    contact: Contact | None
    revision: int


class Quotes:
    def __init__(self, store: Store) -> None:
        self._items = store.model(QuoteItem)
        self._refs = store.model(QuoteRef)
        self._secret = store.settings.cursor_secret.encode()

    def get(self, quote_id: str) -> StoredQuote | None:
        try:
            item = self._items.get(f"QUOTE#{quote_id}", "QUOTE")
        except DoesNotExist:
            return None
        return _stored(item)

    def add(self, unit: UnitOfWork, quote: Quote, contact: Contact) -> None:
        item = self._item(quote, contact, revision=1)
        writes(unit).put(item, condition=self._items.pk.does_not_exist())
        writes(unit).put(self._unlinked(quote))

    def _unlinked(self, quote: Quote) -> QuoteRef:
        return self._refs(pk=UNLINKED, sk=f"{to_iso(quote.created_at)}#{quote.id}", quote_id=quote.id)

    def forget_contacts(self, unit: UnitOfWork, created_before: datetime, limit: int = MERGE_BATCH) -> int:
        """Drop the contact details of up to `limit` quotes made before `created_before` that
        are still not linked to a client (one Query, one BatchGet)."""
        refs = list(self._refs.query(UNLINKED, self._refs.sk < to_iso(created_before), limit=limit))
        dropped = set()
        for item in self._items.batch_get([(f"QUOTE#{ref.quote_id}", "QUOTE") for ref in refs]):
            stored = _stored(item)
            if stored.contact is not None:
                self.replace(unit, stored, stored.quote, None)  # which takes it off the list
                dropped.add(stored.quote.id)
        for ref in refs:
            if ref.quote_id not in dropped:
                writes(unit).delete(ref)
        return len(refs)

    def replace(self, unit: UnitOfWork, stored: StoredQuote, quote: Quote, contact: Contact | None) -> None:
        """Write `quote` over `stored` if nobody changed it since it was read (409 otherwise)."""
        item = self._item(quote, contact, revision=stored.revision + 1)
        writes(unit).put(
            item,
            condition=self._items.revision == stored.revision,
            on_conflict=lambda: Problem.conflict("The quote was changed meanwhile; reload it."),
        )
        for field, owner in (("client_id", quote.client_id), ("deal_id", quote.deal_id)):
            if owner and getattr(stored.quote, field) != owner:
                self._add_ref(unit, quote, ("CLIENT" if field == "client_id" else "DEAL"), owner)
        if stored.contact is not None and contact is None:
            writes(unit).delete(self._unlinked(quote))

    def _add_ref(self, unit: UnitOfWork, quote: Quote, kind: str, owner: str) -> None:
        ref = self._refs(
            pk=f"{kind}#{owner}#QUOTES", sk=f"{to_iso(quote.created_at)}#{quote.id}", quote_id=quote.id
        )
        writes(unit).put(ref)

    def _item(self, quote: Quote, contact: Contact | None, revision: int) -> QuoteItem:
        return self._items(
            pk=f"QUOTE#{quote.id}",
            sk="QUOTE",
            status=quote.status,
            revision=revision,
            document=quote.model_dump_json(),
            contact=contact.model_dump_json() if contact else None,
            client_id=quote.client_id,
            deal_id=quote.deal_id,
        )

    def repoint_client(self, unit: UnitOfWork, merged_id: str, survivor_id: str) -> int:
        """Move the merged client's quotes (at most `MERGE_BATCH`, one transaction) to the
        survivor: the quote names the survivor and is listed under it."""
        refs = list(self._refs.query(f"CLIENT#{merged_id}#QUOTES", limit=MERGE_BATCH))
        keys = [(f"QUOTE#{ref.quote_id}", "QUOTE") for ref in refs]
        for item in self._items.batch_get(keys):
            stored = _stored(item)
            moved = stored.quote.model_copy(update={"client_id": survivor_id})
            self.replace(unit, stored, moved, stored.contact)
        for ref in refs:
            writes(unit).delete(ref)
        return len(refs)

    def page_of(
        self, kind: str, owner: str, limit: int, cursor: str | None
    ) -> tuple[list[Quote], str | None]:
        """A client's or deal's quotes, newest first: one Query and one BatchGet."""
        result = self._refs.query(
            f"{kind}#{owner}#QUOTES",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, self._secret),
        )
        ids = [ref.quote_id for ref in result]
        found: dict[str, Quote] = {}
        for item in self._items.batch_get([(f"QUOTE#{quote_id}", "QUOTE") for quote_id in ids]):
            stored = _stored(item)
            found[stored.quote.id] = stored.quote
        quotes = [found[quote_id] for quote_id in ids if quote_id in found]
        return quotes, encode_cursor(result.last_evaluated_key, self._secret)


def _stored(item: QuoteItem) -> StoredQuote:
    quote = Quote.model_validate_json(item.document)
    contact = Contact.model_validate_json(item.contact) if item.contact else None
    return StoredQuote(quote=quote, contact=contact, revision=int(item.revision))


class WidgetSettingsStore:
    def __init__(self, store: Store) -> None:
        self._items = store.model(WidgetSettingsItem)

    def get(self) -> WidgetSettings:
        try:
            item = self._items.get("SETTINGS", "WIDGETS")
        except DoesNotExist:
            return WidgetSettings()
        return WidgetSettings.model_validate_json(item.document)

    def save(self, unit: UnitOfWork, settings: WidgetSettings) -> None:
        writes(unit).put(self._items(pk="SETTINGS", sk="WIDGETS", document=settings.model_dump_json()))


def allows_origin(store: Store, origin: str) -> bool:
    """The booking service's CORS policy: the origins the admin listed (one GetItem)."""
    return WidgetSettingsStore(store).get().allows(origin)
