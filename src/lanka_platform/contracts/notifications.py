"""Events the notifications service publishes (it owns every inbound channel)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from lanka_platform.events import Contract

SOURCE = "lanka.notifications"

Channel = Literal["website", "booking_widget", "price_widget", "email", "phone", "telegram", "viber", "other"]


class RequestReceived(Contract):
    """Someone asked for something through a channel: a form, a call, a message. The
    clients service finds (or creates) the client; deals opens a deal."""

    detail_type: ClassVar[str] = "RequestReceived"
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1

    request_id: str
    channel: Channel
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    telegram: str | None = Field(default=None, max_length=64)
    viber: str | None = Field(default=None, max_length=64)
    message: str | None = Field(default=None, max_length=4000)
    subject: str | None = Field(default=None, max_length=200, description="What it is about (form, service)")


class MessageReceived(Contract):
    """A known client wrote to the company (a chat message, an e-mail, an SMS)."""

    detail_type: ClassVar[str] = "MessageReceived"
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1

    message_id: str
    client_id: str
    channel: Channel
    text: str = Field(default="", max_length=4000)


class CallReceived(Contract):
    """Telephony reported a call of a known client (an unknown number is first a
    `RequestReceived` with channel `phone`; the call follows once clients has linked it).
    Deals records it on the client's deal as `CallLogged`; a missed one becomes a call-back
    task for the client's manager."""

    detail_type: ClassVar[str] = "CallReceived"
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1

    call_id: str = Field(description="Stable per call: the provider's call id")
    client_id: str
    direction: Literal["in", "out"]
    answered: bool
    started_at: datetime
    duration_seconds: int = Field(default=0, ge=0)
    user_id: str | None = Field(default=None, description="The member of staff who took or made it")
    recording_url: str | None = Field(default=None, max_length=2000)
    provider: str = Field(default="generic", max_length=40)
