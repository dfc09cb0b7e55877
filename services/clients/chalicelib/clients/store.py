"""The clients table: the only code that knows its keys.

| item           | pk                       | sk        |
| -------------- | ------------------------ | --------- |
| client         | CLIENT#<id>              | PROFILE   |
| contact point  | CONTACT#<kind>#<value>   | CONTACT   |

A contact point item makes a phone or an e-mail unique across the base: it is written in
the same transaction as its client, on the condition that it does not exist yet.
"""

from __future__ import annotations

from chalicelib.clients.domain.model import Client
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


MODELS = (ClientItem, ContactPointItem)


def _client_key(client_id: str) -> tuple[str, str]:
    return f"CLIENT#{client_id}", "PROFILE"


def _contact_key(kind: str, value: str) -> tuple[str, str]:
    return f"CONTACT#{kind}#{value}", "CONTACT"


class ClientStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._clients = store.model(ClientItem)
        self._contacts = store.model(ContactPointItem)

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
