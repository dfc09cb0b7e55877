"""The deals service's own view of clients: just what a deal card shows."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from lanka_platform.problems import Problem
from lanka_platform.schema import Schema
from lanka_platform.storage import UnitOfWork


class ClientCard(Schema):
    client_id: str
    name: str
    owner_id: str | None
    as_of: datetime


class Directory(Protocol):
    def remember(self, unit: UnitOfWork, card: ClientCard) -> None: ...
    def card(self, client_id: str) -> ClientCard | None: ...


def client_seen(unit: UnitOfWork, directory: Directory, card: ClientCard) -> None:
    """Keep the newest known name of a client (older news never overwrites newer)."""
    directory.remember(unit, card)


def client_card(directory: Directory, client_id: str) -> ClientCard:
    card = directory.card(client_id)
    if card is None:
        raise Problem.not_found("The client")
    return card
