"""Channel adapters: one interface (`send(message) -> DeliveryResult`) over SES v2, an SMS
provider, the Telegram Bot API and the Viber REST API. The only code here that leaves the
process; base URLs and secrets come from `settings.ChannelSettings`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.notifications.domain.delivery import Delivery, DeliveryResult, Sender

__all__ = ["Delivery", "DeliveryResult", "Sender", "sender"]

if TYPE_CHECKING:
    from chalicelib.notifications.channels.settings import ChannelSettings


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
