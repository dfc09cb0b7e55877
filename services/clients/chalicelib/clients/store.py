"""The clients table: the only code that knows its keys.

| item           | pk                       | sk        |
| -------------- | ------------------------ | --------- |
| client         | CLIENT#<id>              | PROFILE   |
| contact point  | CONTACT#<kind>#<value>   | CONTACT   |
| search entry   | SEARCH#<N|P|E>#<key[:n]> | <key>#<client id> |

A contact point item makes a phone or an e-mail unique across the base: it is written in
the same transaction as its client, on the condition that it does not exist yet.

Search entries are the client's own token index (see `domain/search.py` for the keys):
N for name fragments, P for reversed phone digits, E for e-mails, partitioned by the
key's first characters. Each entry carries the match row (name, kind, contacts, owner), so
that a search is one Query: `pk = SEARCH#..#<prefix[:n]>` and `sk begins_with <prefix>`,
reading only the entries it returns, however large the base is. They are written in the
same transaction as the client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.clients.domain.model import Client
from chalicelib.clients.domain.search import ClientMatch, SearchTerm, email_key, name_keys, phone_key
from pynamodb.attributes import ListAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.problems import Problem
from lanka_platform.storage import Store, TableModel, UnitOfWork


class ClientItem(TableModel):
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    phones = ListAttribute(of=UnicodeAttribute, default=list)
    emails = ListAttribute(of=UnicodeAttribute, default=list)
    source_channel = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class ContactPointItem(TableModel):
    client_id = UnicodeAttribute()


class SearchEntryItem(TableModel):
    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    phones = ListAttribute(of=UnicodeAttribute, default=list)
    emails = ListAttribute(of=UnicodeAttribute, default=list)
    owner_id = UnicodeAttribute(null=True)


MODELS = (ClientItem, ContactPointItem, SearchEntryItem)

# How many characters of a key choose its partition; a query's prefix is never shorter.
_PARTITION_CHARS = {"name": 2, "phone": 3, "email": 2}
_KIND_LETTER = {"name": "N", "phone": "P", "email": "E"}
# A manager's search skips other managers' clients; when many of them come first, more
# pages are read, but never more than this many: the cost of a search stays bounded.
MAX_SEARCH_PAGES = 5


def _search_key(kind: str, key: str, client_id: str) -> tuple[str, str]:
    return f"SEARCH#{_KIND_LETTER[kind]}#{key[: _PARTITION_CHARS[kind]]}", f"{key}#{client_id}"


def _client_key(client_id: str) -> tuple[str, str]:
    return f"CLIENT#{client_id}", "PROFILE"


def _contact_key(kind: str, value: str) -> tuple[str, str]:
    return f"CONTACT#{kind}#{value}", "CONTACT"


class ClientStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._clients = store.model(ClientItem)
        self._contacts = store.model(ContactPointItem)
        self._entries = store.model(SearchEntryItem)

    def add(self, unit: UnitOfWork, client: Client) -> None:
        """Queue the client and its contact points; a taken contact point is a 409."""
        pk, sk = _client_key(client.id)
        item = self._clients(
            pk=pk,
            sk=sk,
            name=client.name,
            kind=client.kind,
            phones=client.phones,
            emails=client.emails,
            source_channel=client.source_channel,
            owner_id=client.owner_id,
            created_at=to_iso(client.created_at),
            updated_at=to_iso(client.updated_at),
        )
        unit.put(item, condition=self._clients.pk.does_not_exist(), tag="client")
        for kind, values in (("phone", client.phones), ("email", client.emails)):
            for value in values:
                contact_pk, contact_sk = _contact_key(kind, value)
                unit.put(
                    self._contacts(pk=contact_pk, sk=contact_sk, client_id=client.id),
                    condition=self._contacts.pk.does_not_exist(),
                    tag=f"contact:{kind}",
                    on_conflict=lambda kind=kind, value=value: self._taken(kind, value),
                )

        for entry in self.search_entries(client):
            unit.put(entry, tag="search")

    def search_entries(self, client: Client) -> list[SearchEntryItem]:
        """The client's search index items (also used to seed a base in bulk)."""
        keys = [
            *(("name", key) for key in name_keys(client.name)),
            *(("phone", key) for key in dict.fromkeys(map(phone_key, client.phones))),
            *(("email", key) for key in dict.fromkeys(map(email_key, client.emails))),
        ]
        entries = []
        for kind, key in keys:
            pk, sk = _search_key(kind, key, client.id)
            entries.append(
                self._entries(
                    pk=pk,
                    sk=sk,
                    client_id=client.id,
                    name=client.name,
                    kind=client.kind,
                    phones=client.phones,
                    emails=client.emails,
                    owner_id=client.owner_id,
                )
            )
        return entries

    def search(
        self, term: SearchTerm, limit: int, wanted: Callable[[ClientMatch], bool]
    ) -> list[ClientMatch]:
        """Up to `limit` distinct clients whose `term.kind` keys begin with `term.prefix`
        and that are `wanted`: one Query, or a few when unwanted matches fill the pages."""
        found: dict[str, ClientMatch] = {}
        for page in self._pages(term, limit):
            for item in page:
                if item.client_id in found:
                    continue  # found by another of its words: each client once
                match = ClientMatch(
                    id=item.client_id,
                    name=item.name,
                    kind=item.kind,
                    phones=list(item.phones or []),
                    emails=list(item.emails or []),
                    owner_id=item.owner_id,
                )
                if wanted(match):
                    found[match.id] = match
                    if len(found) == limit:
                        return list(found.values())
        return list(found.values())

    def _pages(self, term: SearchTerm, limit: int) -> Iterator[list[SearchEntryItem]]:
        pk, _ = _search_key(term.kind, term.prefix, "")
        start: dict[str, Any] | None = None
        for _ in range(MAX_SEARCH_PAGES):
            result = self._entries.query(
                pk, self._entries.sk.startswith(term.prefix), limit=limit, last_evaluated_key=start
            )
            yield list(result)
            start = result.last_evaluated_key
            if not start:
                return

    def get(self, client_id: str) -> Client | None:
        try:
            item = self._clients.get(*_client_key(client_id))
        except DoesNotExist:
            return None
        return Client(
            id=client_id,
            name=item.name,
            kind=item.kind,
            phones=list(item.phones or []),
            emails=list(item.emails or []),
            source_channel=item.source_channel,
            owner_id=item.owner_id,
            created_at=from_iso(item.created_at),
            updated_at=from_iso(item.updated_at),
            version=int(item.version or 1),
        )

    def _taken(self, kind: str, value: str) -> Problem:
        try:
            holder = self._contacts.get(*_contact_key(kind, value)).client_id
        except DoesNotExist:
            holder = None
        what = "phone number" if kind == "phone" else "e-mail"
        return Problem.conflict(
            f"This {what} already belongs to another client.",
            field=kind,
            existing_client_id=holder,
        )
