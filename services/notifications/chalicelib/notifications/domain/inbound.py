"""What reaches the company from outside: a website form, a chat message, an e-mail, a call.

Every inbound contact is kept as an `InboundMessage` under its own id and announced as
`RequestReceived` with that id, so the clients service can find (or create) the person.
When clients answers (`ClientRequestReceived` with the same id) the message is filed in
the client's conversation and announced as `MessageReceived` (or, for a call,
`CallReceived`). A reply to an e-mail we know is filed at once: its thread says who wrote.

Pure rules only: parsing of what the providers send, and the shapes kept and announced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import ConfigDict, Field, field_validator

from lanka_platform.contracts.notifications import CallReceived, Channel, MessageReceived, RequestReceived
from lanka_platform.events import envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

Kind = Literal["message", "call"]
CallState = Literal["started", "answered", "missed", "ended"]
OutChannel = Literal["email", "sms", "telegram", "viber"]
TEXT_LIMIT = 4000


class Sender(Schema):
    """How the person reached us: what clients uses to find them (personal data)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    telegram: str | None = Field(default=None, description="@username, or the numeric user id")
    telegram_chat: str | None = Field(default=None, description="Where a bot reply goes")
    viber: str | None = None


class Attachment(Schema):
    name: str
    content_type: str
    size: int
    key: str = Field(description="Where the file is kept (the inbound mail bucket)")


class CallDetails(Schema):
    provider: str
    direction: Literal["in", "out"]
    state: CallState
    answered: bool
    started_at: datetime
    duration_seconds: int = 0
    recording_url: str | None = None
    line: str | None = Field(default=None, description="The staff member's line (extension or number)")
    user_id: str | None = None


class InboundMessage(Schema):
    id: str
    channel: Channel
    kind: Kind = "message"
    sender: Sender
    subject: str | None = None
    text: str = ""
    received_at: datetime
    attachments: list[Attachment] = Field(default_factory=list)
    call: CallDetails | None = None
    mail_id: str | None = Field(default=None, description="The e-mail's Message-ID")
    client_id: str | None = None


class ConversationEntry(Schema):
    """One line of a client's conversation: what they sent, or what we answered."""

    id: str
    client_id: str
    direction: Literal["in", "out"]
    channel: str
    kind: Literal["message", "call", "reply"]
    at: datetime
    text: str = ""
    subject: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    call: CallDetails | None = None
    author_id: str | None = None
    status: str | None = Field(default=None, description="Of a reply: queued, sent, delivered, failed")


class ConversationPage(Schema):
    items: list[ConversationEntry]
    next_cursor: str | None = None


class ConversationSummary(Schema):
    """A client's conversation in the inbox: who, when, on which channel, what was said last."""

    client_id: str
    client_name: str | None = None
    owner_id: str | None = None
    last_at: datetime
    last_direction: Literal["in", "out"]
    last_channel: str
    preview: str = ""
    reply_channel: OutChannel | None = Field(default=None, description="Where a reply goes by default")
    reply_address: str | None = Field(default=None, exclude=True)
    last_mail_id: str | None = Field(
        default=None, description="Message-ID of the client's last e-mail (a reply threads under it)"
    )


class InboxPage(Schema):
    items: list[ConversationSummary]
    next_cursor: str | None = None


class Accepted(Schema):
    """What a public endpoint answers: the request's id, nothing about anyone."""

    id: str
    duplicate: bool = False


# ------------------------------------------------------------------------------ the website form


class WebsiteForm(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, examples=["Олена"])
    phone: str | None = Field(default=None, max_length=40, examples=["+380671234567"])
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    message: str | None = Field(default=None, max_length=TEXT_LIMIT)
    subject: str | None = Field(default=None, max_length=200, examples=["Кухня на замовлення"])
    consent: bool = Field(description="Consent to be contacted about this request (required)")
    website: str | None = Field(
        default=None, max_length=200, description="Leave empty: a field only robots fill in"
    )

    @field_validator("phone")
    @classmethod
    def _phone_has_digits(cls, value: str | None) -> str | None:
        if value is not None and sum(ch.isdigit() for ch in value) < 9:
            raise ValueError("A phone number has at least 9 digits")
        return value or None


def from_form(form: WebsiteForm, message_id: str, now: datetime) -> InboundMessage:
    """A form becomes a request; it must say how to reach the person and carry consent."""
    errors = []
    if not form.consent:
        errors.append({"field": "consent", "message": "Потрібна згода на зв'язок (consent is required)."})
    if not (form.phone or form.email):
        errors.append({"field": "phone", "message": "Вкажіть телефон або e-mail (a phone or an e-mail)."})
    if errors:
        raise Problem.invalid(errors)
    return InboundMessage(
        id=message_id,
        channel="website",
        sender=Sender(name=form.name, phone=form.phone, email=form.email),
        subject=form.subject,
        text=form.message or "",
        received_at=now,
    )


def is_robot(form: WebsiteForm) -> bool:
    """The honeypot: people never see the `website` field, robots fill every field."""
    return bool(form.website)


# ------------------------------------------------------------------------------ Telegram


def from_telegram(update: dict[str, Any], now: datetime) -> InboundMessage | None:
    """A Bot API Update: a message with text (or a shared contact) from a person; None for
    anything else (edits, channel posts, bots), which changes nothing. Times a provider
    gives are kept unless they are later than now (the inbox is ordered by them)."""
    update_id = update.get("update_id")
    message = update.get("message")
    if not isinstance(update_id, int) or not isinstance(message, dict):
        return None
    sender = message.get("from")
    chat = message.get("chat") or {}
    if not isinstance(sender, dict) or sender.get("is_bot") or not isinstance(sender.get("id"), int):
        return None
    contact = message.get("contact") if isinstance(message.get("contact"), dict) else None
    text = message.get("text") or message.get("caption") or ""
    if not isinstance(text, str):
        text = ""
    phone = str(contact.get("phone_number")) if contact and contact.get("phone_number") else None
    if not text and not phone:
        return None
    if phone and not text:
        text = "Поділився номером телефону"
    name = " ".join(str(sender.get(part) or "") for part in ("first_name", "last_name")).strip()
    username = sender.get("username")
    at = message.get("date")
    return InboundMessage(
        id=f"tg-{update_id}",
        channel="telegram",
        sender=Sender(
            name=name[:200] or None,
            phone=phone[:40] if phone else None,
            telegram=str(username)[:64] if username else str(sender["id"]),
            telegram_chat=str(chat.get("id") or sender["id"]),
        ),
        text=text[:TEXT_LIMIT],
        received_at=min(datetime.fromtimestamp(at, UTC), now) if isinstance(at, int) else now,
    )


# ------------------------------------------------------------------------------ Viber

VIBER_WELCOME = "Вітаємо! Напишіть, будь ласка, що вас цікавить, і ми відповімо."


def from_viber(callback: dict[str, Any], now: datetime) -> InboundMessage | None:
    """A `message` callback of a Viber bot; None for the others (`subscribed`,
    `conversation_started`, delivery receipts): a chat is a request once the person writes."""
    if callback.get("event") != "message":
        return None
    token = callback.get("message_token")
    sender = callback.get("sender")
    message = callback.get("message")
    if token is None or not isinstance(sender, dict) or not isinstance(message, dict):
        return None
    user_id = sender.get("id")
    text = message.get("text")
    if not isinstance(user_id, str) or not user_id:
        return None
    contact = message.get("contact") if isinstance(message.get("contact"), dict) else None
    phone = str(contact["phone_number"])[:40] if contact and contact.get("phone_number") else None
    if not isinstance(text, str) or not text:
        if phone is None:
            return None
        text = "Поділився номером телефону"
    at = callback.get("timestamp")
    return InboundMessage(
        id=f"vb-{token}",
        channel="viber",
        sender=Sender(name=str(sender.get("name") or "")[:200] or None, viber=user_id[:64], phone=phone),
        text=text[:TEXT_LIMIT],
        received_at=min(datetime.fromtimestamp(at / 1000, UTC), now) if isinstance(at, int) else now,
    )


# ------------------------------------------------------------------------------ calls


def call_message(call_id: str, details: CallDetails, phone: str | None) -> InboundMessage:
    """A finished (or missed) call as a request from the number that called."""
    text = (
        "Пропущений дзвінок"
        if not details.answered
        else f"Дзвінок, {details.duration_seconds // 60} хв {details.duration_seconds % 60} с"
    )
    return InboundMessage(
        id=call_id,
        channel="phone",
        kind="call",
        sender=Sender(phone=phone),
        text=text,
        received_at=details.started_at,
        call=details,
    )


# ------------------------------------------------------------------------------ what is announced


def request_of(message: InboundMessage) -> RequestReceived:
    sender = message.sender
    return RequestReceived(
        request_id=message.id,
        channel=message.channel,
        name=sender.name,
        phone=sender.phone,
        email=sender.email,
        telegram=sender.telegram,
        viber=sender.viber,
        message=message.text or None,
        subject=message.subject,
    )


def announcement(message: InboundMessage, client_id: str) -> MessageReceived | CallReceived:
    if message.call is not None:
        call = message.call
        return CallReceived(
            call_id=message.id,
            client_id=client_id,
            direction=call.direction,
            answered=call.answered,
            started_at=call.started_at,
            duration_seconds=call.duration_seconds,
            user_id=call.user_id,
            recording_url=call.recording_url,
            provider=call.provider,
        )
    text = (
        f"{message.subject}\n{message.text}"
        if message.subject and message.channel == "email"
        else message.text
    )
    return MessageReceived(
        message_id=message.id, client_id=client_id, channel=message.channel, text=text[:TEXT_LIMIT]
    )


def entry_of(message: InboundMessage, client_id: str) -> ConversationEntry:
    return ConversationEntry(
        id=message.id,
        client_id=client_id,
        direction="in",
        channel=message.channel,
        kind=message.kind,
        at=message.received_at,
        text=message.text,
        subject=message.subject,
        attachments=message.attachments,
        call=message.call,
    )


def reply_route(message: InboundMessage) -> tuple[OutChannel | None, str | None]:
    """Where an answer to this message goes: the channel the person used, and their address
    on it (a website form is answered by e-mail when it gave one, else by SMS)."""
    sender = message.sender
    if message.channel == "telegram":
        return "telegram", sender.telegram_chat
    if message.channel == "viber":
        return "viber", sender.viber
    if message.channel == "email" or (message.channel == "website" and sender.email):
        return "email", sender.email
    if sender.phone:
        return "sms", sender.phone
    return None, None


def summarize(
    previous: ConversationSummary | None,
    entry: ConversationEntry,
    client_name: str | None,
    owner_id: str | None,
    reply: tuple[OutChannel | None, str | None] = (None, None),
    mail_id: str | None = None,
) -> ConversationSummary | None:
    """The inbox line after `entry`; None when an older entry arrives late (the line stays)."""
    if previous is not None and previous.last_at > entry.at:
        return None
    channel, address = reply
    return ConversationSummary(
        client_id=entry.client_id,
        client_name=client_name or (previous.client_name if previous else None),
        owner_id=owner_id,
        last_at=entry.at,
        last_direction=entry.direction,
        last_channel=entry.channel,
        preview=(entry.text or entry.subject or "")[:140],
        reply_channel=channel or (previous.reply_channel if previous else None),
        reply_address=address or (previous.reply_address if previous else None),
        last_mail_id=mail_id or (previous.last_mail_id if previous else None),
    )


@dataclass(frozen=True)
class KnownClient:
    """What notifications keeps of a client its conversations are with (from events)."""

    client_id: str
    name: str | None
    owner_id: str | None
    client_version: int
    merged_into: str | None


class Conversations(Protocol):
    def client(self, client_id: str) -> KnownClient | None: ...
    def add_entry(self, unit: UnitOfWork, entry: ConversationEntry) -> None: ...
    def summary(self, client_id: str) -> ConversationSummary | None: ...
    def put_summary(self, unit: UnitOfWork, summary: ConversationSummary) -> None: ...
    def remember_thread(self, unit: UnitOfWork, mail_id: str, client_id: str) -> None: ...


def current_client(conversations: Conversations, client_id: str) -> str:
    """A merged client's messages go to the client it became part of."""
    known = conversations.client(client_id)
    return known.merged_into if known is not None and known.merged_into else client_id


def file_message(
    unit: UnitOfWork,
    conversations: Conversations,
    message: InboundMessage,
    client_id: str,
    name: str | None = None,
    owner_id: str | None = None,
) -> ConversationEntry:
    """Put an inbound message in its client's conversation and inbox line, remember its
    e-mail thread, and tell the other services (`MessageReceived` or `CallReceived`)."""
    known = conversations.client(client_id)
    if known is not None:
        name = name or known.name
        owner_id = known.owner_id if known.client_version else owner_id or known.owner_id
    entry = entry_of(message, client_id)
    conversations.add_entry(unit, entry)
    summary = summarize(
        conversations.summary(client_id), entry, name, owner_id, reply_route(message), message.mail_id
    )
    if summary is not None:
        conversations.put_summary(unit, summary)
    if message.mail_id:
        conversations.remember_thread(unit, message.mail_id, client_id)
    unit.emit(envelope(announcement(message, client_id)))
    return entry
