"""The clients service API: routes and event handlers only."""

from __future__ import annotations

from chalicelib.clients.domain import clients
from chalicelib.clients.domain.model import Client, NewClient
from chalicelib.clients.store import MODELS, ClientStore

from lanka_platform.api import Call
from lanka_platform.service import LankaService

service = LankaService("clients", models=MODELS)
app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep

STAFF_WHO_ENTER_CLIENTS = ("admin", "head", "manager")


@service.route(
    "/clients",
    "POST",
    body=NewClient,
    response=Client,
    status=201,
    roles=STAFF_WHO_ENTER_CLIENTS,
    idempotent=True,
    problems=[409],
)
def create_client(call: Call, body: NewClient) -> Client:
    """Create a client (phone normalized to E.164, e-mail validated)."""
    return clients.create_client(call.unit, ClientStore(call.store), body, call.user, call.store.clock())


@service.route("/clients/{client_id}", response=Client)
def get_client(call: Call, client_id: str) -> Client:
    """One client, if the caller may see it."""
    return clients.get_client(ClientStore(call.store), client_id, call.user)
