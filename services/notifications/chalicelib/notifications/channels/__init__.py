"""Channel adapters: one interface (`send(message) -> DeliveryResult`) over SES v2, an SMS
provider, the Telegram Bot API and the Viber REST API. The only code here that leaves the
process; base URLs and secrets come from `settings.ChannelSettings`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from chalicelib.notifications.domain.messages import Attachment

if TYPE_CHECKING:
    from chalicelib.notifications.channels.settings import ChannelSettings


@dataclass(frozen=True)
class Delivery:
    """One message, rendered for one channel, to one address."""

    message_id: str
    to: str
    text: str
    subject: str | None = None
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    unsubscribe_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryResult:
    """What the provider said: accepted (with its message id), or an error; an error that is
    not `retryable` (a bad address, no credentials) will not get better by waiting."""

    ok: bool
    provider_message_id: str | None = None
    error: str | None = None
    retryable: bool = True


class Sender(Protocol):
    def send(self, delivery: Delivery) -> DeliveryResult: ...


def sender(channel: str, settings: ChannelSettings, region: str, endpoint: str | None) -> Sender:
    from chalicelib.notifications.channels import email, messengers

    if channel == "email":
        return email.SesEmail(settings, region, endpoint)
    if channel == "sms":
        return messengers.Sms(settings)
    if channel == "telegram":
        return messengers.Telegram(settings)
    if channel == "viber":
        return messengers.Viber(settings)
    raise ValueError(f"no channel {channel}")
