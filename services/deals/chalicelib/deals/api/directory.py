"""What deals keeps of clients, from the clients service's events."""

from __future__ import annotations

from typing import Any

from chalicelib.deals.domain import directory
from chalicelib.deals.domain.directory import ClientCard
from chalicelib.deals.service import service
from chalicelib.deals.store import ClientDirectory, DealStore, TaskStore

from lanka_platform.api import Call
from lanka_platform.contracts import clients as client_events
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork

RELINK_CHUNK = 30


def _directory() -> ClientDirectory:
    return ClientDirectory(service.store)


@service.handles(client_events.ClientCreated)
def on_client_created(event: Envelope[client_events.ClientCreated], unit: UnitOfWork) -> None:
    data = event.data
    card = ClientCard(
        client_id=data.client_id, name=data.name, owner_id=data.owner_id, as_of=event.metadata.occurred_at
    )
    directory.client_seen(unit, _directory(), card)


@service.handles(client_events.ClientUpdated)
@service.handles(client_events.ClientOwnerChanged)
def on_client_changed(
    event: Envelope[client_events.ClientUpdated | client_events.ClientOwnerChanged], unit: UnitOfWork
) -> None:
    data = event.data
    card = ClientCard(
        client_id=data.client_id,
        name=data.name,
        owner_id=data.owner_id,
        as_of=event.metadata.occurred_at,
        version=data.client_version,
    )
    directory.client_seen(unit, _directory(), card)


@service.handles(client_events.ClientMerged)
def on_client_merged(event: Envelope[client_events.ClientMerged], unit: UnitOfWork) -> None:
    data = event.data
    survivor = ClientCard(
        client_id=data.survivor_id,
        name=data.name,
        owner_id=data.owner_id,
        as_of=event.metadata.occurred_at,
        version=data.client_version,
    )
    directory.client_merged(unit, _directory(), survivor, data.merged_id)
    _repoint_deals(data.merged_id, data.survivor_id, data.name)


def _repoint_deals(merged_id: str, survivor_id: str, name: str) -> None:
    """The merged client's deals and their tasks now belong to the survivor, each in its own
    transaction, a deal's tasks before the deal itself (a redelivery finds the deals already
    moved gone from the merged client's links, and redoes the rest)."""
    deals = DealStore(service.store)
    tasks = TaskStore(service.store)
    while ids := deals.ids_of_client(merged_id, RELINK_CHUNK):
        for deal_id in ids:
            for task in tasks.of_deal(deal_id):
                if task.client_id == merged_id:
                    own = service.store.unit_of_work()
                    tasks.replace(
                        own,
                        task,
                        task.model_copy(update={"client_id": survivor_id, "version": task.version + 1}),
                    )
                    own.commit()
            deal = deals.get(deal_id)
            own = service.store.unit_of_work()
            if deal is not None and deal.client_id == merged_id:
                deals.replace(
                    own,
                    deal,
                    deal.model_copy(
                        update={"client_id": survivor_id, "client_name": name, "version": deal.version + 1}
                    ),
                )
            deals.relink(own, deal_id, merged_id, survivor_id)
            own.commit()


@service.handles(client_events.ClientErased)
def on_client_erased(event: Envelope[client_events.ClientErased], unit: UnitOfWork) -> None:
    data = event.data
    directory.client_erased(
        unit, _directory(), data.client_id, data.placeholder_name, event.metadata.occurred_at
    )
    deals = DealStore(service.store)
    for deal_id in deals.ids_of_client(data.client_id, 1000):
        deal = deals.get(deal_id)
        if deal is not None and deal.client_name != data.placeholder_name:
            own = service.store.unit_of_work()
            deals.replace(
                own,
                deal,
                deal.model_copy(update={"client_name": data.placeholder_name, "version": deal.version + 1}),
            )
            own.commit()


@service.route("/clients/{client_id}", response=ClientCard)
def get_client_card(call: Call, client_id: str) -> Any:
    """What deal cards show of a client (from this service's own projection)."""
    return directory.client_card(ClientDirectory(call.store), client_id)
