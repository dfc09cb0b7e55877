"""Creating and reading clients, with who may see which."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chalicelib.clients.domain.model import Client, NewClient

from lanka_platform.auth import Principal
from lanka_platform.contracts.clients import ClientCreated
from lanka_platform.events import envelope
from lanka_platform.ids import new_id
from lanka_platform.problems import Problem
from lanka_platform.storage import UnitOfWork


class Clients(Protocol):
    def add(self, unit: UnitOfWork, client: Client) -> None: ...
    def get(self, client_id: str) -> Client | None: ...


def create_client(unit: UnitOfWork, clients: Clients, new: NewClient, by: Principal, now: datetime) -> Client:
    """A new client, owned by the manager who entered it unless a supervisor says otherwise."""
    if new.owner_id is not None and not by.is_supervisor:
        raise Problem.forbidden("Only the head or an admin can choose another owner.")
    client = Client(
        id=new_id(),
        name=new.name,
        kind=new.kind,
        phones=[new.phone] if new.phone else [],
        emails=[new.email] if new.email else [],
        source_channel=new.source_channel,
        owner_id=new.owner_id if new.owner_id is not None else (None if by.is_supervisor else by.user_id),
        created_at=now,
        updated_at=now,
        version=1,
    )
    clients.add(unit, client)
    unit.emit(
        envelope(
            ClientCreated(
                client_id=client.id,
                name=client.name,
                kind=client.kind,
                owner_id=client.owner_id,
                source_channel=client.source_channel,
            ),
            occurred_at=now,
        )
    )
    return client


def can_see(by: Principal, client: Client) -> bool:
    """Managers see their own clients and the unassigned ones; head and admin see all."""
    return can_see_owner(by, client.owner_id)


def can_see_owner(by: Principal, owner_id: str | None) -> bool:
    """`can_see` for a client known only by its owner (a search match)."""
    if by.is_supervisor:
        return True
    if "manager" in by.roles:
        return owner_id in (None, by.user_id)
    return False


def get_client(clients: Clients, client_id: str, by: Principal) -> Client:
    client = clients.get(client_id)
    # Someone else's client answers exactly like a missing one: ids reveal nothing.
    if client is None or not can_see(by, client):
        raise Problem.not_found("The client")
    return client
