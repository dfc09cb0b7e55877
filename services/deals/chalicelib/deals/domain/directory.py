"""The deals service's own view of clients: just what a deal card shows.

Kept from the clients service's events. Each carries the client's version, and a card only
moves forward: a late or repeated event never puts back an older name or owner. A merged
client's card points at the survivor; an erased client's card keeps no name, for good.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema


class ClientCard(Schema):
    client_id: str
    name: str
    owner_id: str | None
    as_of: datetime
    version: int = 1
    merged_into: str | None = None
    erased: bool = False


class Directory(Protocol):
    def remember(self, unit: UnitOfWork, card: ClientCard) -> None: ...
    def retire(self, unit: UnitOfWork, card: ClientCard) -> None: ...
    def card(self, client_id: str) -> ClientCard | None: ...


def client_seen(unit: UnitOfWork, directory: Directory, card: ClientCard) -> None:
    """Keep the newest known name and owner of a client (older news never overwrites newer)."""
    directory.remember(unit, card)


def client_merged(unit: UnitOfWork, directory: Directory, survivor: ClientCard, merged_id: str) -> None:
    directory.remember(unit, survivor)
    directory.retire(
        unit,
        ClientCard(
            client_id=merged_id,
            name=survivor.name,
            owner_id=survivor.owner_id,
            as_of=survivor.as_of,
            merged_into=survivor.client_id,
        ),
    )


def client_erased(
    unit: UnitOfWork, directory: Directory, client_id: str, placeholder: str, at: datetime
) -> None:
    directory.retire(
        unit, ClientCard(client_id=client_id, name=placeholder, owner_id=None, as_of=at, erased=True)
    )


def client_card(directory: Directory, client_id: str) -> ClientCard:
    card = directory.card(client_id)
    if card is not None and card.merged_into:
        card = directory.card(card.merged_into)
    if card is None:
        raise Problem.not_found("The client")
    return card
