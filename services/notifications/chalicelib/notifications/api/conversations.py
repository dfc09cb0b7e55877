"""Conversations: every client's messages across channels in one thread, the inbox of the
latest ones, and replies from the CRM.

Inbound messages are filed here once clients has said whose they are
(`ClientRequestReceived`). Who owns a client comes from a small projection of the clients'
events (created, handed over, merged), so a manager sees his own clients' conversations and
the unassigned ones; head and admin see all.
"""

from __future__ import annotations

from chalicelib.notifications.domain import inbound
from chalicelib.notifications.domain import messages as outbox
from chalicelib.notifications.domain.inbound import (
    ConversationEntry,
    ConversationPage,
    InboxPage,
    OutChannel,
)
from chalicelib.notifications.domain.messages import OutgoingMessage
from chalicelib.notifications.service import service
from chalicelib.notifications.settings import channel_settings
from chalicelib.notifications.store import ConversationStore, InboundStore, MessageStore
from pydantic import ConfigDict, Field

from lanka_platform.api import Call
from lanka_platform.auth import OFFICE, Principal
from lanka_platform.contracts.clients import (
    ClientCreated,
    ClientErased,
    ClientMerged,
    ClientOwnerChanged,
    ClientRequestReceived,
)
from lanka_platform.events import Envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

# ------------------------------------------------------------------------------ filing


@service.handles(ClientRequestReceived)
def on_client_request(event: Envelope[ClientRequestReceived], unit: UnitOfWork) -> None:
    """Clients found (or made) the person behind one of our requests: file the message."""
    data = event.data
    inbox = InboundStore(service.store)
    message = inbox.get(data.request_id)
    if message is None or message.client_id is not None:
        return  # another service's request (a widget), or filed already
    conversations = ConversationStore(service.store)
    known = conversations.client(data.client_id)
    if known is None:
        conversations.put_client(unit, data.client_id, data.name, data.owner_id, 0)
    inbox.attach(unit, message, data.client_id)
    inbound.file_message(unit, conversations, message, data.client_id, data.name, data.owner_id)


# ------------------------------------------------------------------------------ owners


@service.handles(ClientCreated)
def on_client_created(event: Envelope[ClientCreated], unit: UnitOfWork) -> None:
    data = event.data
    conversations = ConversationStore(service.store)
    if conversations.client(data.client_id) is None:
        conversations.put_client(unit, data.client_id, data.name, data.owner_id, 1)


@service.handles(ClientOwnerChanged)
def on_owner_changed(event: Envelope[ClientOwnerChanged], unit: UnitOfWork) -> None:
    """The client's conversation moves to the new owner's inbox (an older event is ignored)."""
    data = event.data
    conversations = ConversationStore(service.store)
    known = conversations.client(data.client_id)
    if known is not None and known.client_version >= data.client_version:
        return
    conversations.put_client(unit, data.client_id, data.name, data.owner_id, data.client_version)
    summary = conversations.summary(data.client_id)
    if summary is not None:
        conversations.put_summary(unit, summary.model_copy(update={"owner_id": data.owner_id}))


@service.handles(ClientMerged)
def on_client_merged(event: Envelope[ClientMerged], unit: UnitOfWork) -> None:
    """The merged client's conversation becomes part of the survivor's, and what it writes
    from now on goes there too."""
    data = event.data
    conversations = ConversationStore(service.store)
    conversations.put_client(
        unit, data.merged_id, data.name, data.owner_id, data.client_version, data.survivor_id
    )
    survivor = conversations.client(data.survivor_id)
    if survivor is None or survivor.client_version < data.client_version:
        conversations.put_client(unit, data.survivor_id, data.name, data.owner_id, data.client_version)
    conversations.move(data.merged_id, data.survivor_id)


@service.handles(ClientErased)
def on_client_erased_conversation(event: Envelope[ClientErased], unit: UnitOfWork) -> None:
    """An erased person's words and contact details are forgotten; that they wrote stays."""
    conversations = ConversationStore(service.store)
    inbound_ids = conversations.scrub(event.data.client_id, event.data.placeholder_name)
    InboundStore(service.store).scrub(inbound_ids)


# ------------------------------------------------------------------------------ staff routes


class InboxQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    owner: str = Field(
        default="mine",
        max_length=64,
        description="`mine`, `unassigned`, `all` (head, admin) or a manager's user id (head, admin)",
    )
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=30, ge=1, le=100)


class PageQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=30, ge=1, le=100)


class NewReply(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=inbound.TEXT_LIMIT)
    channel: OutChannel | None = Field(default=None, description="Default: the channel the client last used")


def _inbox_index(user: Principal, owner: str) -> str:
    from chalicelib.notifications.store.conversations import ALL, owner_inbox

    if owner == "mine":
        return owner_inbox(user.user_id)
    if owner == "unassigned":
        return owner_inbox(None)
    if not user.is_supervisor and owner != user.user_id:
        raise Problem.forbidden("A manager sees his own conversations and the unassigned ones.")
    return ALL if owner == "all" else owner_inbox(owner)


def _visible(call: Call, client_id: str) -> str:
    """The client's id if the caller may see their conversation; someone else's client
    answers exactly like a missing one (404)."""
    conversations = ConversationStore(call.store)
    client_id = inbound.current_client(conversations, client_id)
    user = call.user
    if user.is_supervisor:
        return client_id
    known = conversations.client(client_id)
    owner: str | None
    if known is not None:
        owner = known.owner_id
    else:
        summary = conversations.summary(client_id)
        owner = summary.owner_id if summary is not None else "?"
    if owner not in (None, user.user_id):
        raise Problem.not_found("The conversation")
    return client_id


@service.route("/conversations", query=InboxQuery, response=InboxPage, roles=OFFICE)
def list_conversations(call: Call, query: InboxQuery) -> InboxPage:
    """The latest conversations, newest first: yours by default (`owner=unassigned`, and for
    head and admin `owner=all` or a manager's id)."""
    index = _inbox_index(call.user, query.owner)
    items, cursor = ConversationStore(call.store).inbox(index, query.cursor, query.limit)
    return InboxPage(items=items, next_cursor=cursor)


@service.route("/conversations/{client_id}", query=PageQuery, response=ConversationPage, roles=OFFICE)
def read_conversation(call: Call, client_id: str, query: PageQuery) -> ConversationPage:
    """A client's conversation on every channel (messages, calls, replies), newest first."""
    visible = _visible(call, client_id)
    items, cursor = ConversationStore(call.store).page(visible, query.cursor, query.limit)
    return ConversationPage(items=items, next_cursor=cursor)


@service.route(
    "/conversations/{client_id}/replies",
    "POST",
    body=NewReply,
    response=ConversationEntry,
    status=201,
    roles=OFFICE,
    idempotent=True,
)
def reply(call: Call, client_id: str, body: NewReply) -> ConversationEntry:
    """Answer the client, by default on the channel they last wrote on: queued as an
    outgoing message, and shown in the conversation at once."""
    visible = _visible(call, client_id)
    conversations = ConversationStore(call.store)
    summary = conversations.summary(visible)
    channel = body.channel or (summary.reply_channel if summary else None)
    if channel is None:
        raise Problem.invalid(
            [{"field": "channel", "message": "Клієнт ще не писав: оберіть канал (choose a channel)."}]
        )
    now = call.store.clock()
    reply_id = new_id()
    variables = {"text": body.text, "mail_id": f"<{reply_id}@{channel_settings().mail_domain}>"}
    if summary is not None and summary.reply_address and channel == summary.reply_channel:
        variables["address"] = summary.reply_address
    if channel == "email" and summary is not None and summary.last_mail_id:
        # The client's mail program shows the answer under their own last e-mail.
        variables["in_reply_to"] = summary.last_mail_id
    # Sent as written (not a template), to the address the client wrote from when known.
    address = variables.get("address")
    outbox.queue_message(
        call.unit,
        MessageStore(call.store),
        OutgoingMessage(
            id=reply_id,
            client_id=visible,
            text=body.text,
            channel=channel,
            to={channel: address} if address else {},
            variables=variables,
            requested_at=now,
            due_at=now,
        ),
    )
    entry = ConversationEntry(
        id=reply_id,
        client_id=visible,
        direction="out",
        channel=channel,
        kind="reply",
        at=now,
        text=body.text,
        author_id=call.user.user_id,
        status="queued",
    )
    conversations.add_entry(call.unit, entry)
    known = conversations.client(visible)
    owner = known.owner_id if known is not None else (summary.owner_id if summary else None)
    line = inbound.summarize(summary, entry, known.name if known else None, owner)
    if line is not None:
        conversations.put_summary(call.unit, line)
    if channel == "email":
        conversations.remember_thread(call.unit, variables["mail_id"], visible)
    return entry
