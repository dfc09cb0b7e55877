"""Events the notifications service publishes (it owns every inbound channel)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class _SesPart(BaseModel):
    # AWS's event JSON has more than Lanka reads (headers, common headers, MTA details).
    model_config = ConfigDict(extra="ignore", frozen=True)


class SesMail(_SesPart):
    messageId: str = Field(description="The SES message id SendEmail answered with")
    timestamp: datetime | None = None
    destination: list[str] = Field(default_factory=list)


class SesDelivery(_SesPart):
    timestamp: datetime | None = None
    recipients: list[str] = Field(default_factory=list)


class SesRecipient(_SesPart):
    emailAddress: str


class SesBounce(_SesPart):
    bounceType: str = Field(description="Permanent, Transient or Undetermined")
    bounceSubType: str = ""
    bouncedRecipients: list[SesRecipient] = Field(default_factory=list)
    timestamp: datetime | None = None


class SesComplaint(_SesPart):
    complainedRecipients: list[SesRecipient] = Field(default_factory=list)
    complaintFeedbackType: str | None = None
    timestamp: datetime | None = None


class EmailFeedbackReceived(Contract):
    """What SES learned of an e-mail we sent: delivered, bounced, complained of. The data is
    SES's own event (`detail` of its EventBridge event, field names as SES spells them); SES
    puts it on the account's default bus, and a rule there (`resources.FEEDS`) reshapes it
    into this envelope on the way to the notifications inbox."""

    detail_type: ClassVar[str] = "EmailFeedbackReceived"
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1

    eventType: str = Field(description="Delivery, Bounce, Complaint (others are ignored)")
    mail: SesMail
    delivery: SesDelivery | None = None
    bounce: SesBounce | None = None
    complaint: SesComplaint | None = None


class S3Bucket(_SesPart):
    name: str


class S3Object(_SesPart):
    key: str
    size: int | None = None


class InboundMailStored(Contract):
    """SES received an e-mail and stored it (raw MIME) in the inbound mail bucket. The data is
    S3's own `Object Created` event detail; a rule on the default bus (`resources.FEEDS`)
    reshapes it into this envelope for the notifications inbox, which parses the e-mail."""

    detail_type: ClassVar[str] = "InboundMailStored"
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1

    bucket: S3Bucket
    object: S3Object
