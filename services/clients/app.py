"""The clients service API: routes and event handlers only."""

from __future__ import annotations

from chalicelib.clients.domain import clients, search
from chalicelib.clients.domain.model import Client, NewClient
from chalicelib.clients.store import MODELS, ClientStore
from pydantic import ConfigDict, Field, field_validator

from lanka_platform.api import Call
from lanka_platform.schema import Schema
from lanka_platform.service import LankaService

service = LankaService("clients", models=MODELS)
app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep

STAFF_WHO_ENTER_CLIENTS = ("admin", "head", "manager")
STAFF_WHO_SEARCH_CLIENTS = ("admin", "head", "manager")


class SearchQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        min_length=2,
        max_length=100,
        description="A fragment of a name, the last digits of a phone (or all of it), "
        "or the start of an e-mail",
        examples=["марян", "4567", "olena@"],
    )
    limit: int = Field(default=20, ge=1, le=50)

    @field_validator("q")
    @classmethod
    def _searchable(cls, value: str) -> str:
        search.parse_query(value)  # InvalidSearch is a ValueError: a 422 on `q`
        return value


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


@service.route(
    "/clients/search", query=SearchQuery, response=search.SearchResults, roles=STAFF_WHO_SEARCH_CLIENTS
)
def search_clients(call: Call, query: SearchQuery) -> search.SearchResults:
    """Clients the caller may see, found by a name fragment, phone digits or e-mail."""
    return search.find_clients(ClientStore(call.store), query.q, query.limit, call.user)


@service.route("/clients/{client_id}", response=Client)
def get_client(call: Call, client_id: str) -> Client:
    """One client, if the caller may see it."""
    return clients.get_client(ClientStore(call.store), client_id, call.user)
