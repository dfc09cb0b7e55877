"""The client items of the clients table: profiles, contact points, search entries.

| item           | pk                       | sk                |
| -------------- | ------------------------ | ----------------- |
| client         | CLIENT#<id>              | PROFILE           |
| contact point  | CONTACT#<kind>#<value>   | CONTACT           |
| search entry   | SEARCH#<N|P|E>#<key[:n]> | <key>#<client id> |
| custom fields  | CONFIG                   | CUSTOM_FIELDS     |

A client item is also on gsi1 (`CLIENTS` / <id>: everyone, for exports and the duplicate
finder) and, while active, on gsi2 (`OWNER#<owner id or ->` / <folded name>#<id>: one
manager's clients by name, and the unassigned ones).

A contact point item makes a phone, an e-mail or a messenger id unique across the base: it
is written in the same transaction as its client, on the condition that it does not exist
yet (or already belongs to this client).

Search entries are the client's own token index (see `domain/search.py` for the keys):
N for name fragments, P for reversed phone digits, E for e-mails, partitioned by the
key's first characters. Each entry carries the match row (name, kind, owner, masked hints),
so that a search is one Query: `pk = SEARCH#..#<prefix[:n]>` and `sk begins_with <prefix>`,
reading only the entries it returns, however large the base is. An edit deletes the
entries of keys the client lost and rewrites the others in the same transaction as the
profile, so the index never disagrees with the card.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from chalicelib.clients.domain.custom_fields import CustomField, CustomFieldSet
from chalicelib.clients.domain.model import Client, ClientSummary
from chalicelib.clients.domain.search import (
    ClientMatch,
    SearchTerm,
    email_hint,
    fold,
    index_keys,
    phone_hint,
)
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Gsi1, Gsi2, Store, TableModel, writes


class ClientItem(TableModel):
    body = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    gsi2 = Gsi2()
    version = VersionAttribute()


class ContactPointItem(TableModel):
    client_id = UnicodeAttribute()


class SearchEntryItem(TableModel):
    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    phone_hint = UnicodeAttribute(null=True)
    email_hint = UnicodeAttribute(null=True)


class CustomFieldsItem(TableModel):
    body = UnicodeAttribute()
    revision = NumberAttribute()


MODELS = (ClientItem, ContactPointItem, SearchEntryItem, CustomFieldsItem)

# How many characters of a key choose its partition; a query's prefix is never shorter.
_PARTITION_CHARS = {"name": 2, "phone": 3, "email": 2}
_KIND_LETTER = {"name": "N", "phone": "P", "email": "E"}
# A manager's search skips other managers' clients; when many of them come first, more
# pages are read, but never more than this many: the cost of a search stays bounded.
MAX_SEARCH_PAGES = 5
_UNASSIGNED = "-"


def _search_key(kind: str, key: str, client_id: str) -> tuple[str, str]:
    return f"SEARCH#{_KIND_LETTER[kind]}#{key[: _PARTITION_CHARS[kind]]}", f"{key}#{client_id}"


def client_key(client_id: str) -> tuple[str, str]:
    return f"CLIENT#{client_id}", "PROFILE"


def _contact_key(kind: str, value: str) -> tuple[str, str]:
    return f"CONTACT#{kind}#{value}", "CONTACT"


def owner_partition(owner_id: str | None) -> str:
    return f"OWNER#{owner_id or _UNASSIGNED}"


_CONTACT_WORDS = {"phone": "phone number", "email": "e-mail", "telegram": "Telegram id", "viber": "Viber id"}


class ClientStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._clients = store.model(ClientItem)
        self._contacts = store.model(ContactPointItem)
        self._entries = store.model(SearchEntryItem)
        self._custom = store.model(CustomFieldsItem)

    # ------------------------------------------------------------------ writes

    def add(self, unit: UnitOfWork, client: Client) -> None:
        """Queue a new client, its contact points and its search entries; a contact point
        that belongs to another client is a 409 naming that client."""
        writes(unit).put(self._item(client, None), condition=self._clients.pk.does_not_exist(), tag="client")
        for kind, value in sorted(client.contact_points()):
            self._claim(unit, client.id, kind, value)
        for entry in self.search_entries(client):
            writes(unit).put(entry, tag="search")

    def replace(
        self, unit: UnitOfWork, before: Client, after: Client, *, contact_points: bool = True
    ) -> None:
        """Queue `after` in place of `before`, on the condition that nobody changed the
        client since `before` was read (else 409), with the search entries (and, unless a
        merge moves them itself, the contact points) brought in line in the same
        transaction."""

        def changed() -> Exception:
            return Problem.conflict(
                "Someone changed this client meanwhile; reload it and apply your change again.",
                client_id=before.id,
            )

        writes(unit).put(self._item(after, before.version), tag="client", on_conflict=changed)
        old_points, new_points = before.contact_points(), after.contact_points()
        if not contact_points:
            old_points = new_points = set()
        for kind, value in sorted(old_points - new_points):
            # A point gone meanwhile was dropped by another edit of the same version: the
            # client changed (DynamoDB reports the deletes of a transaction first).
            self._release(unit, before.id, kind, value, changed)
        for kind, value in sorted(new_points - old_points):
            self._claim(unit, after.id, kind, value)
        self._reindex(unit, before, after)

    def hand_contact_points(
        self, unit: UnitOfWork, points: Iterable[tuple[str, str]], frm: str, to: str
    ) -> None:
        """Re-point contact points from one client to another (a merge)."""
        for kind, value in sorted(points):
            pk, sk = _contact_key(kind, value)
            writes(unit).put(
                self._contacts(pk=pk, sk=sk, client_id=to),
                condition=self._contacts.client_id == frm,
                tag=f"contact:{kind}",
            )

    def _claim(self, unit: UnitOfWork, client_id: str, kind: str, value: str) -> None:
        pk, sk = _contact_key(kind, value)
        writes(unit).put(
            self._contacts(pk=pk, sk=sk, client_id=client_id),
            condition=self._contacts.pk.does_not_exist() | (self._contacts.client_id == client_id),
            tag=f"contact:{kind}",
            on_conflict=lambda: self._taken(kind, value),
        )

    def _release(
        self, unit: UnitOfWork, client_id: str, kind: str, value: str, changed: Callable[[], Exception]
    ) -> None:
        pk, sk = _contact_key(kind, value)
        writes(unit).delete(
            self._contacts(pk=pk, sk=sk),
            condition=self._contacts.client_id == client_id,
            tag=f"release:{kind}",
            on_conflict=changed,
        )

    def _reindex(self, unit: UnitOfWork, before: Client | None, after: Client | None) -> None:
        old = {(e.pk, e.sk): e for e in self.search_entries(before)} if before else {}
        new = {(e.pk, e.sk): e for e in self.search_entries(after)} if after else {}
        row_changed = before is None or after is None or _row(before) != _row(after)
        for key in old.keys() - new.keys():
            writes(unit).delete(old[key], tag="search")
        for key, entry in new.items():
            if row_changed or key not in old:
                writes(unit).put(entry, tag="search")

    def _item(self, client: Client, expected_version: int | None) -> ClientItem:
        pk, sk = client_key(client.id)
        item = self._clients(
            pk=pk,
            sk=sk,
            body=client.model_dump_json(exclude={"id", "version"}),
            owner_id=client.owner_id,
            status=client.status,
            gsi1pk="CLIENTS",
            gsi1sk=client.id,
            gsi2pk=owner_partition(client.owner_id) if client.status == "active" else None,
            gsi2sk=f"{fold(client.name)}#{client.id}" if client.status == "active" else None,
        )
        # PynamoDB makes the write conditional on this version and stores the next one.
        if expected_version is not None:
            item.version = expected_version
        return item

    def search_entries(self, client: Client) -> list[SearchEntryItem]:
        """The client's search index items (also used to seed a base in bulk)."""
        if client.status != "active":
            return []
        row = _row(client)
        entries = []
        for kind, key in index_keys(client.name, client.all_phones(), client.all_emails()):
            pk, sk = _search_key(kind, key, client.id)
            entries.append(self._entries(pk=pk, sk=sk, client_id=client.id, **row))
        return entries

    # ------------------------------------------------------------------ reads

    def get(self, client_id: str) -> Client | None:
        try:
            item = self._clients.get(*client_key(client_id))
        except DoesNotExist:
            return None
        return _client(client_id, item)

    def get_many(self, client_ids: list[str]) -> list[Client]:
        """Several clients in one BatchGetItem (at most 100 ids)."""
        if not client_ids:
            return []
        items = self._clients.batch_get([client_key(client_id) for client_id in client_ids])
        return [_client(item.pk.removeprefix("CLIENT#"), item) for item in items]

    def holders(self, points: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Which client holds each of these contact points (one BatchGetItem)."""
        keys = [_contact_key(kind, value) for kind, value in points]
        if not keys:
            return {}
        found: dict[tuple[str, str], str] = {}
        for item in self._contacts.batch_get(keys):
            _, kind, value = item.pk.split("#", 2)
            found[(kind, value)] = item.client_id
        return found

    def page(
        self, owner_id: str | None, *, everyone: bool, cursor: str | None, limit: int
    ) -> tuple[list[ClientSummary], str | None]:
        """Clients of one owner (`None`: the unassigned) by name, or everyone's by id."""
        secret = self._store.settings.cursor_secret.encode()
        start = decode_cursor(cursor, secret)
        if everyone:
            result = self._clients.gsi1.query("CLIENTS", limit=limit, last_evaluated_key=start)
        else:
            result = self._clients.gsi2.query(
                owner_partition(owner_id), limit=limit, last_evaluated_key=start
            )
        items = [_summary(item) for item in result]
        return items, encode_cursor(result.last_evaluated_key, secret)

    def ids_of_owner(self, owner_id: str, limit: int) -> tuple[list[str], dict[str, Any] | None]:
        """The first `limit` client ids of an owner (from an index, so possibly a moment
        stale: a caller that changes them reads each one again, by its key)."""
        result = self._clients.gsi2.query(owner_partition(owner_id), limit=limit)
        ids = [item.pk.removeprefix("CLIENT#") for item in result]
        return ids, result.last_evaluated_key

    def all_clients(
        self, start: dict[str, Any] | None, limit: int
    ) -> tuple[list[Client], dict[str, Any] | None]:
        """A page of every client (exports and the duplicate finder), in id order."""
        result = self._clients.gsi1.query("CLIENTS", limit=limit, last_evaluated_key=start)
        clients = [_client(item.pk.removeprefix("CLIENT#"), item) for item in result]
        return clients, result.last_evaluated_key

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
                    owner_id=item.owner_id,
                    phone_hint=item.phone_hint,
                    email_hint=item.email_hint,
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

    def search_candidates(self, term: SearchTerm, limit: int) -> list[str]:
        """Ids of clients with keys beginning with `term.prefix`, whoever owns them (the
        duplicate finder's look-up)."""
        return [m.id for m in self.search(term, limit, lambda match: term.admits(match.name))]

    # ------------------------------------------------------------------ custom fields

    def custom_fields(self) -> CustomFieldSet:
        try:
            item = self._custom.get("CONFIG", "CUSTOM_FIELDS")
        except DoesNotExist:
            return CustomFieldSet(fields=[], version=0)
        stored = CustomFieldSet.model_validate_json(item.body)
        return CustomFieldSet(fields=stored.fields, version=int(item.revision))

    def definitions(self) -> list[CustomField]:
        return self.custom_fields().fields

    def save_custom_fields(self, unit: UnitOfWork, fields: CustomFieldSet) -> CustomFieldSet:
        saved = CustomFieldSet(fields=fields.fields, version=fields.version + 1)
        condition = (
            self._custom.pk.does_not_exist()
            if fields.version == 0
            else self._custom.revision == fields.version
        )
        writes(unit).put(
            self._custom(
                pk="CONFIG",
                sk="CUSTOM_FIELDS",
                body=saved.model_dump_json(exclude={"version"}),
                revision=saved.version,
            ),
            condition=condition,
            on_conflict=lambda: Problem.conflict("Someone changed the custom fields meanwhile; reload them."),
        )
        return saved

    def _taken(self, kind: str, value: str) -> Problem:
        try:
            holder = self._contacts.get(*_contact_key(kind, value)).client_id
        except DoesNotExist:
            holder = None
        return Problem.conflict(
            f"This {_CONTACT_WORDS[kind]} already belongs to another client.",
            field=kind,
            existing_client_id=holder,
        )


def _row(client: Client) -> dict[str, Any]:
    """What each search entry carries about its client."""
    phones, emails = client.all_phones(), client.all_emails()
    return {
        "name": client.name,
        "kind": client.kind,
        "owner_id": client.owner_id,
        "phone_hint": phone_hint(phones[0] if phones else None),
        "email_hint": email_hint(emails[0] if emails else None),
    }


def _client(client_id: str, item: ClientItem) -> Client:
    data = json.loads(item.body)
    data.update(id=client_id, version=int(item.version or 1))
    return Client.model_validate(data)


def _summary(item: ClientItem) -> ClientSummary:
    client = _client(item.pk.removeprefix("CLIENT#"), item)
    return ClientSummary(
        id=client.id,
        name=client.name,
        kind=client.kind,
        owner_id=client.owner_id,
        tags=client.tags,
        updated_at=client.updated_at,
    )
