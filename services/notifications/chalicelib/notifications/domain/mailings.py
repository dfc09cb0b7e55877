"""Mass mailings: one template to every client who agreed to marketing, optionally only a
segment (a tag, a source, or both), started now or at a set time.

Who may get a mailing is an *audience* projection of the contact cards: a client is listed
under `ALL`, under each of their tags and under their source only while their marketing
consent is given, so a mailing reads its recipients page by page from one partition and
never sees anyone who withdrew. A mailing is sent in steps (`PAGE` recipients each); every
recipient gets a marker written in the same unit as their message, on condition that it
does not exist yet, so a step that dies half way and runs again queues nobody twice.
The messages themselves go out through the `deliveries` sweep like every other message
(channel fallback, retries, quiet hours), and it checks consent once more when it sends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from chalicelib.notifications.domain.contacts import Channel, ContactCard, channel_order
from chalicelib.notifications.domain.messages import OutgoingMessage
from chalicelib.notifications.domain.templates import NAME
from pydantic import ConfigDict, Field, model_validator

from lanka_platform.schema import Schema

PAGE = 100
EVERYONE = "ALL"

MailingStatus = Literal["scheduled", "sending", "finished", "cancelled"]
ACTIVE: tuple[MailingStatus, ...] = ("scheduled", "sending")
Outcome = Literal["queued", "skipped"]


class Audience(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    tag: str | None = Field(
        default=None, min_length=1, max_length=40, description="Only clients with this tag"
    )
    source: str | None = Field(
        default=None, min_length=1, max_length=40, description="Only clients who came from this source"
    )


class NewMailing(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str = Field(min_length=1, max_length=120, description="What staff call it")
    template: str = Field(pattern=NAME, description="A message template's name")
    channel: Channel | None = Field(
        default=None, description="The channel to try first; None: each client's preferred one"
    )
    audience: Audience = Field(default_factory=Audience)
    start_at: datetime | None = Field(default=None, description="When to start (UTC); None: now")

    @model_validator(mode="after")
    def _aware(self) -> NewMailing:
        if self.start_at is not None and self.start_at.tzinfo is None:
            raise ValueError("start_at must carry its time zone (e.g. 2026-05-01T09:00:00Z)")
        return self


class Mailing(Schema):
    id: str
    name: str
    template: str
    channel: Channel | None = None
    audience: Audience
    status: MailingStatus
    start_at: datetime
    created_at: datetime
    created_by: str
    total: int = Field(
        description="Recipients when it started (an upper bound while a tag+source mailing runs)"
    )
    queued: int = Field(default=0, description="Messages written for delivery")
    skipped: int = Field(default=0, description="Listed, but no address for the channel or consent gone")
    sent: int = 0
    failed: int = 0
    cancelled_messages: int = Field(
        default=0, description="Not sent: the mailing was cancelled or consent withdrawn"
    )
    cursor: str | None = Field(default=None, description="The last client handled (steps resume after it)")


class MailingPage(Schema):
    items: list[Mailing]
    next_cursor: str | None = None


class AudienceSize(Schema):
    recipients: int
    estimated: bool = Field(description="True: a tag and a source together; the count is an upper bound")


class Recipient(Schema):
    client_id: str
    message_id: str | None
    outcome: Outcome
    status: str | None = Field(default=None, description="The message's delivery status")


class RecipientPage(Schema):
    items: list[Recipient]
    next_cursor: str | None = None


def partitions(card: ContactCard | None) -> set[str]:
    """The audience partitions a client is listed in: none without marketing consent."""
    if card is None or not card.marketing_consent:
        return set()
    listed = {EVERYONE}
    listed |= {f"TAG#{tag.casefold()}" for tag in card.tags}
    if card.source_channel:
        listed.add(f"SOURCE#{card.source_channel.casefold()}")
    return listed


def candidate_partitions(audience: Audience) -> list[str]:
    """The partitions whose members might match `audience` (both, for a tag and a source)."""
    found = []
    if audience.tag:
        found.append(f"TAG#{audience.tag.casefold()}")
    if audience.source:
        found.append(f"SOURCE#{audience.source.casefold()}")
    return found or [EVERYONE]


def matches(audience: Audience, tags: list[str], source: str | None) -> bool:
    if audience.tag and audience.tag.casefold() not in {tag.casefold() for tag in tags}:
        return False
    return not (audience.source and (source or "").casefold() != audience.source.casefold())


def message_id(mailing_id: str, client_id: str) -> str:
    return f"mailing.{mailing_id}.{client_id}"


def outcome(mailing: Mailing, card: ContactCard | None) -> Outcome:
    """Whether a listed client gets the mailing: consent still given and an address on some
    channel (the asked-for channel is tried first, the others are the fallback)."""
    if card is None or not card.marketing_consent:
        return "skipped"
    return "queued" if channel_order(card, mailing.channel) else "skipped"


def message_for(mailing: Mailing, client_id: str, now: datetime) -> OutgoingMessage:
    return OutgoingMessage(
        id=message_id(mailing.id, client_id),
        client_id=client_id,
        template=mailing.template,
        channel=mailing.channel,
        mailing_id=mailing.id,
        requested_at=now,
        due_at=now,
    )
