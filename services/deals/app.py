"""The deals service API: routes and event handlers only."""

from __future__ import annotations

from typing import Any

from chalicelib.deals.domain import directory
from chalicelib.deals.domain.directory import ClientCard
from chalicelib.deals.store import MODELS, ClientDirectory

from lanka_platform.api import Call
from lanka_platform.contracts.clients import ClientCreated
from lanka_platform.events import Envelope
from lanka_platform.service import LankaService
from lanka_platform.storage import UnitOfWork

service = LankaService("deals", models=MODELS)
app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep


@service.handles(ClientCreated)
def on_client_created(event: Envelope[ClientCreated], unit: UnitOfWork) -> None:
    data = event.data
    card = ClientCard(
        client_id=data.client_id, name=data.name, owner_id=data.owner_id, as_of=event.metadata.occurred_at
    )
    directory.client_seen(unit, ClientDirectory(service.store), card)


@service.route("/clients/{client_id}", response=ClientCard)
def get_client_card(call: Call, client_id: str) -> Any:
    """What deal cards show of a client (from this service's own projection)."""
    return directory.client_card(ClientDirectory(call.store), client_id)
