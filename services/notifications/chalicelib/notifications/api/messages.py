"""Messages to clients: requested by other services, kept with every attempt's outcome;
the contact projection they are sent by; the admin's parked list and redrive."""

from __future__ import annotations

from chalicelib.notifications.domain import mailings as mass
from chalicelib.notifications.domain import messages as outbox
from chalicelib.notifications.domain.contacts import ContactCard
from chalicelib.notifications.domain.messages import Attachment, MessagePage, OutgoingMessage
from chalicelib.notifications.service import service
from chalicelib.notifications.store import AudienceStore, ContactStore, MailingStore, MessageStore
from pydantic import ConfigDict, Field

from lanka_platform.api import Call
from lanka_platform.contracts.clients import ClientContactsChanged, ClientErased, ClientMerged
from lanka_platform.contracts.deals import MessageRequested
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

SUPERVISORS = ("admin", "head")


class MessageQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    client_id: str = Field(min_length=1, max_length=64)
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=30, ge=1, le=100)


class PageQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=30, ge=1, le=100)


# ------------------------------------------------------------------------------ events


@service.handles(MessageRequested)
def on_message_requested(event: Envelope[MessageRequested], unit: UnitOfWork) -> None:
    """Queue the message; the `deliveries` schedule sends it (a repeat of the same
    `message_id` is one message)."""
    data = event.data
    now = service.store.clock()
    outbox.queue_message(
        unit,
        MessageStore(service.store),
        OutgoingMessage(
            id=data.message_id,
            client_id=data.client_id,
            template=data.template,
            channel=data.channel,
            deal_id=data.deal_id,
            variables=data.variables,
            attachments=[Attachment.model_validate(a.model_dump()) for a in data.attachments],
            requested_at=event.metadata.occurred_at,
            due_at=now,
        ),
    )


@service.handles(ClientContactsChanged)
def on_contacts_changed(event: Envelope[ClientContactsChanged], unit: UnitOfWork) -> None:
    """Keep where the client is reached (a late, older version changes nothing)."""
    data = event.data
    contacts = ContactStore(service.store)
    read_version = contacts.version(data.client_id)
    if read_version >= data.client_version:
        return
    card = ContactCard(
        client_id=data.client_id,
        name=data.name,
        phones=data.phones,
        emails=data.emails,
        telegram=data.telegram,
        viber=data.viber,
        preferred_channel=data.preferred_channel,
        locale=data.locale,
        marketing_consent=data.marketing_consent,
        tags=data.tags,
        source_channel=data.source_channel,
        version=data.client_version,
    )
    before = contacts.own(data.client_id)
    if before is not None and before.marketing_consent and not card.marketing_consent:
        _count_unsubscribe(unit, data.client_id)
    mass.resegment(
        unit,
        AudienceStore(service.store),
        data.client_id,
        before,
        card,
        lambda profile: profile.model_copy(update={"custom": data.custom}),
    )
    contacts.put(unit, card, read_version)


# How far back a withdrawn consent looks for the mailing that caused it.
RECENT_MESSAGES = 20


def _count_unsubscribe(unit: UnitOfWork, client_id: str) -> None:
    """A client who withdrew consent counts as unsubscribed from the last mailing they got."""
    recent, _ = MessageStore(service.store).of_client(client_id, None, RECENT_MESSAGES)
    for message in recent:
        if message.mailing_id and message.status in ("sent", "delivered", "complained"):
            MailingStore(service.store).add_to(unit, message.mailing_id, "unsubscribed")
            return


@service.handles(ClientMerged)
def on_client_merged(event: Envelope[ClientMerged], unit: UnitOfWork) -> None:
    """Messages still due to the merged client go to the survivor's contacts; the merged
    client leaves the mailing audience (the survivor's own card lists them)."""
    contacts = ContactStore(service.store)
    mass.resegment(
        unit, AudienceStore(service.store), event.data.merged_id, contacts.own(event.data.merged_id), None
    )
    contacts.merged(unit, event.data.merged_id, event.data.survivor_id)


@service.handles(ClientErased)
def on_client_erased(event: Envelope[ClientErased], unit: UnitOfWork) -> None:
    """The person's contacts and what was to be said to them are forgotten; nothing still
    queued is sent. That a message existed stays."""
    contacts = ContactStore(service.store)
    mass.resegment(
        unit, AudienceStore(service.store), event.data.client_id, contacts.own(event.data.client_id), None
    )
    contacts.forget(unit, event.data.client_id)
    MessageStore(service.store).scrub_client(unit, event.data.client_id)


# ------------------------------------------------------------------------------ routes


@service.route("/messages", query=MessageQuery, response=MessagePage, roles=SUPERVISORS)
def list_messages(call: Call, query: MessageQuery) -> MessagePage:
    """Messages to a client with their status and attempts, newest first."""
    items, cursor = MessageStore(call.store).of_client(query.client_id, query.cursor, query.limit)
    return MessagePage(items=items, next_cursor=cursor)


@service.route("/messages/parked", query=PageQuery, response=MessagePage, roles=("admin",))
def list_parked(call: Call, query: PageQuery) -> MessagePage:
    """Messages given up after their last attempt, most recent first."""
    items, cursor = MessageStore(call.store).parked(query.cursor, query.limit)
    return MessagePage(items=items, next_cursor=cursor)


@service.route("/messages/{message_id}", response=OutgoingMessage, roles=SUPERVISORS)
def get_message(call: Call, message_id: str) -> OutgoingMessage:
    """One message, with every attempt (channel, provider message id, error)."""
    message = MessageStore(call.store).get(message_id)
    if message is None:
        raise Problem.not_found("The message")
    return message


@service.route(
    "/messages/{message_id}/redrive", "POST", response=OutgoingMessage, roles=("admin",), problems=[409]
)
def redrive(call: Call, message_id: str) -> OutgoingMessage:
    """Send a parked message again (a fresh round of attempts, from now)."""
    box = MessageStore(call.store)
    message = box.get(message_id)
    if message is None:
        raise Problem.not_found("The message")
    if message.status != "parked":
        raise Problem.conflict("Only a parked message can be redriven.", status=message.status)
    again = message.model_copy(
        update={"status": "queued", "attempts": 0, "due_at": call.store.clock(), "last_error": None}
    )
    box.redrive(call.unit, again)
    return again
