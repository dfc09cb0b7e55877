"""Outgoing messages: what is to be said to a client (or a member of staff), when, and
what became of every attempt.

A message is written as *due* in the unit of work of whatever asked for it (an event
handler, a reply route); the `deliveries` schedule sends what is due, outside any handler.
The sending side of the service is `queue_message` (a reply from the CRM uses it too):

    queue_message(unit, MessageStore(store), OutgoingMessage.new(id=..., client_id=...,
                  text="...", channel="telegram"), now)

The id is the requester's (a `MessageRequested.message_id`, a reply id): the same request
made twice is one message, sent once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Protocol

from pydantic import Field

from lanka_platform.ports import UnitOfWork
from lanka_platform.schema import Schema

# After "sent", SES may tell that an e-mail was delivered, bounced or complained of.
MessageStatus = Literal[
    "queued",
    "sending",
    "retrying",
    "sent",
    "failed",
    "parked",
    "cancelled",
    "delivered",
    "bounced",
    "complained",
]
PENDING: tuple[MessageStatus, ...] = ("queued", "retrying", "sending")

# Waits before the 2nd, 3rd ... attempt; after the last attempt a message is parked.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
MAX_ATTEMPTS = len(BACKOFF) + 1


class Attachment(Schema):
    filename: str
    content_type: str = "application/pdf"
    bucket: str | None = Field(default=None, description="Fetched from S3 when sent")
    key: str | None = None
    content: str | None = Field(default=None, description="Inline text (a calendar invite)")
    url: str | None = Field(default=None, description="A public link (messengers send the link)")


class Attempt(Schema):
    at: datetime
    channel: str
    outcome: Literal["sent", "failed", "skipped", "deferred", "delivered", "bounced", "complained"]
    provider_message_id: str | None = None
    error: str | None = None


class OutgoingMessage(Schema):
    id: str
    client_id: str | None = Field(default=None, description="None: a copy to a member of staff")
    to: dict[str, str] = Field(default_factory=dict, description="Staff copies: channel -> address")
    template: str | None = Field(default=None, description="A template name; or `text` as it is")
    text: str | None = None
    subject: str | None = None
    channel: str | None = Field(default=None, description="Asked-for channel; None: the preferred one")
    deal_id: str | None = None
    mailing_id: str | None = Field(default=None, description="Set on a mass mailing's messages")
    test_of: str | None = Field(
        default=None, description="A test copy of this mailing to staff: counted nowhere, no real unsubscribe"
    )
    variables: dict[str, str] = Field(default_factory=dict)
    attachments: list[Attachment] = Field(default_factory=list)
    status: MessageStatus = "queued"
    requested_at: datetime
    due_at: datetime
    attempts: int = 0
    channel_used: str | None = None
    provider_message_id: str | None = None
    last_error: str | None = None
    log: list[Attempt] = Field(default_factory=list)

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING


class MessagePage(Schema):
    items: list[OutgoingMessage]
    next_cursor: str | None = None


class Messages(Protocol):
    def get(self, message_id: str) -> OutgoingMessage | None: ...
    def add(self, unit: UnitOfWork, message: OutgoingMessage) -> None: ...
    def cancel(self, unit: UnitOfWork, message: OutgoingMessage) -> None: ...


def queue_message(unit: UnitOfWork, messages: Messages, message: OutgoingMessage) -> bool:
    """Write `message` as due in `unit`; False (and nothing written) when a message with
    its id exists already: a repeated request never sends twice."""
    if messages.get(message.id) is not None:
        return False
    messages.add(unit, message)
    return True


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts; None: park it."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + BACKOFF[attempts - 1]


def cancel(unit: UnitOfWork, messages: Messages, message_id: str) -> None:
    """Withdraw a message not sent yet (a reminder of a visit that moved)."""
    message = messages.get(message_id)
    if message is not None and message.is_pending:
        messages.cancel(unit, message)
