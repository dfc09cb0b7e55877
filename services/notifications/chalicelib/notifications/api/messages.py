"""Messages to clients: requested by other services, kept with their status."""

from __future__ import annotations

from chalicelib.notifications.domain.messages import MessagePage, OutgoingMessage
from chalicelib.notifications.service import service
from chalicelib.notifications.store import MessageStore
from pydantic import ConfigDict, Field

from lanka_platform.api import Call
from lanka_platform.contracts.clients import ClientErased
from lanka_platform.contracts.deals import MessageRequested
from lanka_platform.events import Envelope
from lanka_platform.schema import Schema
from lanka_platform.storage import UnitOfWork


class MessageQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    client_id: str = Field(min_length=1, max_length=64)
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=30, ge=1, le=100)


@service.handles(MessageRequested)
def on_message_requested(event: Envelope[MessageRequested], unit: UnitOfWork) -> None:
    data = event.data
    message = OutgoingMessage(
        id=data.message_id,
        client_id=data.client_id,
        template=data.template,
        channel=data.channel,
        deal_id=data.deal_id,
        variables=data.variables,
        status="queued",
        requested_at=event.metadata.occurred_at,
    )
    MessageStore(service.store).add(unit, message)


@service.handles(ClientErased)
def on_client_erased(event: Envelope[ClientErased], unit: UnitOfWork) -> None:
    """What was to be said to an erased person is forgotten; that a message existed stays."""
    MessageStore(service.store).scrub_client(event.data.client_id)


@service.route("/messages", query=MessageQuery, response=MessagePage, roles=("admin", "head"))
def list_messages(call: Call, query: MessageQuery) -> MessagePage:
    """Messages to a client (queued, sent, delivered), newest first."""
    items, cursor = MessageStore(call.store).of_client(query.client_id, query.cursor, query.limit)
    return MessagePage(items=items, next_cursor=cursor)
